/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry of the bare-metal arm64 test guest: an arm64 Linux Image header
 * (Documentation/arch/arm64/booting.rst) so that qemu-vmm's -kernel loads
 * it as it loads Linux, a stack, the exception vectors, and main(x0 = the
 * device tree).  Runs at EL1 with the MMU off.
 */
    .section .head, "ax"
    .global _start
_start:
    b       entry                   /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset */
    .quad   _image_end - _start     /* image_size, BSS and stack included */
    .quad   0                       /* flags: little endian */
    .quad   0, 0, 0                 /* res2-res4 */
    .long   0x644d5241              /* "ARM\x64" */
    .long   0                       /* res5 */

entry:
    mov     x19, x0                 /* the device tree */
    adr     x1, _stack_top
    mov     sp, x1
    adr     x1, vectors
    msr     vbar_el1, x1
    isb
    /* clear BSS (8-byte aligned by the linker script) */
    adr     x1, _bss_start
    adr     x2, _bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x19
    bl      main
3:  wfi
    b       3b

/* Save the caller-saved registers, call handler(kind), return with eret. */
.macro  vector kind
    .balign 0x80
    sub     sp, sp, #176
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x30, [sp, #144]
    mov     x0, #\kind
    b       exception_common
.endm

    .text
    .balign 0x800
vectors:
    vector 0    /* current EL, SP_EL0: sync */
    vector 1    /* IRQ */
    vector 2    /* FIQ */
    vector 3    /* SError */
    vector 0    /* current EL, SP_ELx: sync */
    vector 1
    vector 2
    vector 3
    vector 4    /* lower EL: not used */
    vector 4
    vector 4
    vector 4
    vector 4
    vector 4
    vector 4
    vector 4

exception_common:
    bl      exception
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x30, [sp, #144]
    add     sp, sp, #176
    eret
