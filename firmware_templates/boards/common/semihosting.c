/* Semihosting for every board family (ARM "Semihosting for AArch32 and AArch64": BKPT 0xAB
 * on M-profile): the batch mode's files and the exit code. A debugger or an emulator with
 * semihosting on (QEMU -semihosting) answers the BKPT; without one a real board stops there.
 *
 * Two hooks a family may define (weak no-ops here):
 *   board_sh_sync()     around every call: a core with a data cache cleans it, since the host
 *                       reads and writes our buffers in memory (the Cortex-M7 boards);
 *   board_before_exit() before SYS_EXIT: e.g. send what is still queued for the UART.
 */
#include "board.h"

#include <string.h>

__attribute__((weak)) void board_sh_sync(void) {}
__attribute__((weak)) void board_before_exit(void) {}

static int semihost(int op, void *arg)
{
    int ret;
    board_sh_sync();
    {
        register int r0 __asm__("r0") = op;
        register void *r1 __asm__("r1") = arg;
        __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
        ret = r0;
    }
    board_sh_sync();
    return ret;
}

int board_sh_open(const char *name, int mode)
{
    uint32_t block[3];
    block[0] = (uint32_t)(uintptr_t)name;
    block[1] = (uint32_t)mode;
    block[2] = (uint32_t)strlen(name);
    return semihost(0x01, block);
}

int board_sh_read(int fh, void *buf, size_t len)
{
    uint32_t block[3];
    block[0] = (uint32_t)fh;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)len;
    return (int)len - semihost(0x06, block); /* SYS_READ returns the bytes NOT read */
}

int board_sh_write(int fh, const void *buf, size_t len)
{
    uint32_t block[3];
    block[0] = (uint32_t)fh;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)len;
    return (int)len - semihost(0x05, block);
}

void board_sh_close(int fh)
{
    uint32_t block[1];
    block[0] = (uint32_t)fh;
    (void)semihost(0x02, block);
}

void board_exit(int code)
{
    /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, code} -> the emulator's exit code. */
    uint32_t block[2];
    board_before_exit();
    block[0] = 0x20026u;
    block[1] = (uint32_t)code;
    (void)semihost(0x20, block);
    for (;;) {
        __asm__ volatile("wfi");
    }
}
