/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * edgeq_insn: a QEMU TCG plugin that counts the guest instructions executed between two
 * marker functions, exactly, once per span.
 *
 * Copyright (C) 2026 the edgeq authors.
 * This program is free software; you can redistribute it and/or modify it under the terms
 * of the GNU General Public License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version. It is built against
 * qemu-plugin.h (GPL-2.0-or-later), which is fetched at set-up and never committed.
 *
 * Arguments: begin=ADDR,end=ADDR,out=PATH[,blocks=PATH2][,mark=ADDR] (addresses in hex,
 * Thumb bit ignored). Every time the first instruction at `end` executes after one at `begin`, one
 * line "span N" is appended to PATH, N = instructions executed from the first instruction
 * of `begin` (counted) to the first instruction of `end` (not counted). At exit "total N"
 * (every instruction of the run) is appended.
 *
 * With blocks=PATH2, every translated block entered inside the spans after the first (the
 * first is the firmware's empty calibration span) is written to PATH2 at exit as
 * "b PC N COUNT FALL" followed by its N instructions' disassembly, one "i ADDR TEXT" line
 * each: the input of a cycle model. COUNT = times entered inside those spans; FALL = how
 * many of those times the next block entered started right after this block's last
 * instruction (it fell through: a conditional branch that ends the block was not taken).
 * Knowing FALL costs one callback per block executed, so it is only done with blocks=.
 *
 * With mark=ADDR (a profile build: a marker function called between the ops), each
 * execution of the first instruction at ADDR inside a span ends one segment of the span and
 * starts the next; before its "span N" line each span gets "seg C0 C1 ... CK", the
 * instructions of its K+1 segments (C0 from `begin` to the first mark, CK from the last
 * mark to `end`; they sum to N; a segment starts with the mark's own first instruction).
 * With blocks= too, every block record is followed by "s SEG COUNT FALL" lines (the
 * block's executions, and fall-throughs, in segment SEG of the spans after the first,
 * summed over those spans) and "c SEG COUNT FALL" lines (the same in the first span, the
 * calibration span), so a cycle model can cost each segment. A block is counted in the
 * segment in which it was entered, except that a block starting at the mark belongs to the
 * segment the mark starts.
 *
 * How: every translated block adds its instruction count inline when it starts; a marker
 * instruction at position k of a block of n has then seen count - n + k instructions
 * before it. Blocks are entered at their start and left at their end in normal code, which
 * is all an inference executes (interrupts are taken between blocks).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* One translation of a block (a block translated twice has two records). */
struct block {
    uint64_t pc;
    uint64_t entered; /* incremented inline each time the block is entered */
    uint64_t snap;    /* `entered` at the start of the current span */
    uint64_t in_spans;
    uint64_t fall;    /* times the next block entered (inside the spans) began at `next` */
    uint64_t next;    /* address just past the block's last instruction */
    size_t n;
    char **disas; /* "ADDR TEXT" of each instruction */
    /* mark= only: per segment (index = segment of a span), summed over the spans after the
     * first (seg_*) and in the first span (cal_*) */
    uint64_t seg_snap;  /* `entered` at the start of the current segment */
    uint64_t *seg_count, *seg_fall, *cal_count, *cal_fall;
    size_t seg_cap;
};

static struct block **blocks;
static size_t n_blocks, cap_blocks;
static FILE *blocks_out;
static uint64_t spans_done;

static uint64_t count;       /* instructions of every block entered so far */
static uint64_t begin_addr, end_addr;
static uint64_t span_start;
static int in_span;
static FILE *out;
static struct block *last_block; /* the block entered most recently (blocks= only) */

static uint64_t mark_addr;    /* 0: no profile marks */
static uint64_t seg_start;    /* instructions executed before the current segment began */
static size_t seg_index;      /* segment of the current span */
static uint64_t *seg_counts;  /* instructions of each segment of the current span */
static size_t seg_counts_cap;

/* Make room for segment `k` in a block's per-segment tables. */
static void block_seg_room(struct block *b, size_t k)
{
    if (k < b->seg_cap) {
        return;
    }
    size_t cap = b->seg_cap ? b->seg_cap : 16;
    while (cap <= k) {
        cap *= 2;
    }
    uint64_t **tabs[4] = {&b->seg_count, &b->seg_fall, &b->cal_count, &b->cal_fall};
    for (int t = 0; t < 4; t++) {
        *tabs[t] = realloc(*tabs[t], cap * sizeof(uint64_t));
        memset(*tabs[t] + b->seg_cap, 0, (cap - b->seg_cap) * sizeof(uint64_t));
    }
    b->seg_cap = cap;
}

/* Close the current segment's block counts (blocks= and mark= only). `here` is the block the
 * boundary instruction is in and `at_start` whether it is that block's first instruction:
 * then the block belongs to the segment that starts now. */
static void close_block_segment(struct block *here, int at_start)
{
    for (size_t i = 0; i < n_blocks; i++) {
        struct block *b = blocks[i];
        uint64_t d = b->entered - b->seg_snap;
        if (b == here && at_start && d > 0) {
            d -= 1;
        }
        if (d > 0) {
            block_seg_room(b, seg_index);
            (spans_done > 0 ? b->seg_count : b->cal_count)[seg_index] += d;
        }
        b->seg_snap = b->entered - ((b == here && at_start) ? 1 : 0);
    }
}

static void start_block_segments(struct block *here, int at_start)
{
    for (size_t i = 0; i < n_blocks; i++) {
        blocks[i]->seg_snap = blocks[i]->entered - ((blocks[i] == here && at_start) ? 1 : 0);
    }
}

static void push_segment(uint64_t before)
{
    if (seg_index == seg_counts_cap) {
        seg_counts_cap = seg_counts_cap ? 2 * seg_counts_cap : 64;
        seg_counts = realloc(seg_counts, seg_counts_cap * sizeof(uint64_t));
    }
    seg_counts[seg_index] = before - seg_start;
    seg_start = before;
}

enum { MARK_BEGIN, MARK_END, MARK_SEG };

/* What a marker instruction's callback knows: its kind, how many instructions of its block
 * come from it to the block's end (n - k), its position k and its block (blocks= only). */
struct marker {
    int kind;
    uint64_t tail;
    size_t k;
    struct block *block;
};

static void on_marker(unsigned int vcpu, void *udata)
{
    struct marker *m = udata;
    uint64_t before = count - m->tail; /* instructions executed before this one */
    int profile_blocks = blocks_out != NULL && mark_addr != 0;
    (void)vcpu;
    if (m->kind == MARK_BEGIN) {
        span_start = before;
        in_span = 1;
        seg_start = before;
        seg_index = 0;
        if (blocks_out != NULL) {
            for (size_t i = 0; i < n_blocks; i++) {
                blocks[i]->snap = blocks[i]->entered;
            }
        }
        if (profile_blocks) {
            start_block_segments(m->block, m->k == 0);
        }
    } else if (m->kind == MARK_SEG) {
        if (!in_span) {
            return;
        }
        push_segment(before);
        if (profile_blocks) {
            close_block_segment(m->block, m->k == 0);
        }
        seg_index++;
    } else if (in_span) {
        in_span = 0;
        if (mark_addr != 0) {
            push_segment(before);
            if (profile_blocks) {
                close_block_segment(m->block, m->k == 0);
            }
            fprintf(out, "seg");
            for (size_t i = 0; i <= seg_index; i++) {
                fprintf(out, " %" PRIu64, seg_counts[i]);
            }
            fprintf(out, "\n");
        }
        fprintf(out, "span %" PRIu64 "\n", before - span_start);
        fflush(out);
        if (blocks_out != NULL && spans_done > 0) {
            for (size_t i = 0; i < n_blocks; i++) {
                blocks[i]->in_spans += blocks[i]->entered - blocks[i]->snap;
            }
        }
        spans_done++;
    }
}

/* Each block entered (blocks= only): did the previous one fall through into it? Interrupt
 * entries also land here; none happen inside an inference span. */
static void on_block(unsigned int vcpu, void *udata)
{
    struct block *b = udata;
    (void)vcpu;
    if (last_block != NULL && in_span && last_block->next == b->pc) {
        if (spans_done > 0) {
            last_block->fall++;
        }
        if (mark_addr != 0) {
            block_seg_room(last_block, seg_index);
            (spans_done > 0 ? last_block->seg_fall : last_block->cal_fall)[seg_index]++;
        }
    }
    last_block = b;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &count, n);
    if (blocks_out != NULL) {
        struct block *b = calloc(1, sizeof(*b));
        b->pc = qemu_plugin_tb_vaddr(tb);
        b->n = n;
        if (n > 0) {
            struct qemu_plugin_insn *tail = qemu_plugin_tb_get_insn(tb, n - 1);
            b->next = qemu_plugin_insn_vaddr(tail) + qemu_plugin_insn_size(tail);
        }
        b->disas = calloc(n, sizeof(char *));
        for (size_t k = 0; k < n; k++) {
            struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, k);
            char *text = qemu_plugin_insn_disas(insn);
            size_t len = strlen(text) + 24;
            b->disas[k] = malloc(len);
            snprintf(b->disas[k], len, "%" PRIx64 " %s", qemu_plugin_insn_vaddr(insn), text);
            free(text);
        }
        if (n_blocks == cap_blocks) {
            cap_blocks = cap_blocks ? 2 * cap_blocks : 1024;
            blocks = realloc(blocks, cap_blocks * sizeof(*blocks));
        }
        blocks[n_blocks++] = b; /* the record itself never moves: the inline add points at it */
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->entered, 1);
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
    }
    for (size_t k = 0; k < n; k++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, k);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        if (pc == begin_addr || pc == end_addr || (mark_addr != 0 && pc == mark_addr)) {
            struct marker *m = calloc(1, sizeof(*m)); /* lives as long as the translation */
            m->kind = pc == begin_addr ? MARK_BEGIN : pc == end_addr ? MARK_END : MARK_SEG;
            m->tail = n - k;
            m->k = k;
            m->block = blocks_out != NULL ? blocks[n_blocks - 1] : NULL;
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, m);
        }
    }
}

static void on_run_exit(qemu_plugin_id_t id, void *p)
{
    (void)id;
    (void)p;
    fprintf(out, "total %" PRIu64 "\n", count);
    fclose(out);
    if (blocks_out != NULL) {
        for (size_t i = 0; i < n_blocks; i++) {
            struct block *b = blocks[i];
            int any_cal = 0;
            for (size_t k = 0; k < b->seg_cap; k++) {
                any_cal |= b->cal_count[k] > 0;
            }
            if (b->in_spans == 0 && !any_cal) {
                continue;
            }
            fprintf(blocks_out, "b %" PRIx64 " %zu %" PRIu64 " %" PRIu64 "\n", b->pc, b->n, b->in_spans,
                    b->fall);
            for (size_t k = 0; k < b->n; k++) {
                fprintf(blocks_out, "i %s\n", b->disas[k]);
            }
            for (size_t k = 0; k < b->seg_cap; k++) {
                if (b->seg_count[k] > 0) {
                    fprintf(blocks_out, "s %zu %" PRIu64 " %" PRIu64 "\n", k, b->seg_count[k], b->seg_fall[k]);
                }
            }
            for (size_t k = 0; k < b->seg_cap; k++) {
                if (b->cal_count[k] > 0) {
                    fprintf(blocks_out, "c %zu %" PRIu64 " %" PRIu64 "\n", k, b->cal_count[k], b->cal_fall[k]);
                }
            }
        }
        fclose(blocks_out);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    const char *path = NULL;
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "begin=", 6) == 0) {
            begin_addr = strtoull(argv[i] + 6, NULL, 0) & ~(uint64_t)1;
        } else if (strncmp(argv[i], "end=", 4) == 0) {
            end_addr = strtoull(argv[i] + 4, NULL, 0) & ~(uint64_t)1;
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            path = argv[i] + 4;
        } else if (strncmp(argv[i], "mark=", 5) == 0) {
            mark_addr = strtoull(argv[i] + 5, NULL, 0) & ~(uint64_t)1;
        } else if (strncmp(argv[i], "blocks=", 7) == 0) {
            blocks_out = fopen(argv[i] + 7, "w");
            if (blocks_out == NULL) {
                fprintf(stderr, "edgeq_insn: cannot open %s\n", argv[i] + 7);
                return -1;
            }
        } else {
            fprintf(stderr, "edgeq_insn: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    if (path == NULL || begin_addr == 0 || end_addr == 0) {
        fprintf(stderr, "edgeq_insn: needs begin=ADDR,end=ADDR,out=PATH\n");
        return -1;
    }
    out = fopen(path, "w");
    if (out == NULL) {
        fprintf(stderr, "edgeq_insn: cannot open %s\n", path);
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_run_exit, NULL);
    return 0;
}
