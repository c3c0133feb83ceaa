/*
 * Multiboot v1 entry for the test guests: 32-bit protected mode -> long
 * mode -> CPL3, with as little CPL0 code as possible.
 *
 * Why so little at CPL0: on the software KVM back end used for testing
 * (kvm_pvm) every CPL0 instruction is emulated (~0.7 us each), and CPL0
 * exceptions, int3, privilege-lowering iret and xsave make emulation fail.
 * Only CPL3 code in long mode with paging runs natively. So the page tables
 * are built at assembly time (.rept below), there is no IDT, no loop, no
 * call, and we leave CPL0 for good with sysexitq. The whole CPL0 path from
 * _start to sysexitq is 33 straight-line instructions.
 *
 * The same image also boots under QEMU's Multiboot loader (hence ELF32
 * container, see guest.ld and meson.build).
 *
 * Loader state we rely on (Multiboot spec, section 3.2): EAX = 0x2BADB002,
 * EBX = physical address of the multiboot info, CS = flat 32-bit code,
 * DS/ES/SS = flat data, CR0.PE = 1, CR0.PG = 0, IF = 0. ESP and GDTR are
 * undefined, so the first thing we do is load our own GDT.
 */

#define MB_HEADER_MAGIC		0x1BADB002
/* bit 0: page-align modules (we have none, harmless); bit 1: want mem_* */
#define MB_HEADER_FLAGS		0x00000003

/*
 * GDT selectors. sysexitq does not read the GDT: it loads CS and SS from
 * fixed offsets of IA32_SYSENTER_CS (CS = +32, SS = +40, both with RPL 3),
 * so the kernel code64 selector must be followed by the layout below.
 */
#define SEL_CODE32		0x08	/* flat 32-bit code, DPL0: protected-mode part */
#define SEL_KCODE64		0x10	/* 64-bit code, DPL0: = IA32_SYSENTER_CS */
#define SEL_KDATA		0x18	/* flat data, DPL0: SYSENTER_CS+8 */
#define SEL_UCODE32		0x20	/* 32-bit code, DPL3: SYSENTER_CS+16 (slot for 32-bit sysexit, unused) */
#define SEL_UDATA32		0x28	/* flat data, DPL3: SYSENTER_CS+24 (likewise unused) */
#define SEL_UCODE64		0x30	/* 64-bit code, DPL3: SYSENTER_CS+32, our CS at CPL3 */
#define SEL_UDATA		0x38	/* flat data, DPL3: SYSENTER_CS+40, our SS at CPL3 */

#define CR0_PG			0x80000000
#define CR4_PAE			0x00000020
#define MSR_EFER		0xC0000080
#define EFER_LME		0x00000100
#define MSR_SYSENTER_CS		0x00000174
/* IOPL=3 so that CPL3 code may use in/out; bit 1 is reserved-one; IF=DF=0. */
#define RFLAGS_USER		0x00003002

#define USER_STACK_SIZE		0x10000

/* Page-table entry bits: present, writable, user (we run at CPL3), 2 MiB. */
#define PTE_P			0x001
#define PTE_RW			0x002
#define PTE_US			0x004
#define PTE_PS			0x080
#define PTE_TABLE		(PTE_P | PTE_RW | PTE_US)
#define PTE_LARGE		(PTE_P | PTE_RW | PTE_US | PTE_PS)

	.section .multiboot, "a"
	.balign 4
multiboot_header:
	.long	MB_HEADER_MAGIC
	.long	MB_HEADER_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.section .text.entry, "ax"
	.code32
	.globl	_start
_start:
	/* GDTR is undefined on entry: install ours before touching a selector. */
	lgdt	gdt_desc
	/* Reload CS from our GDT so no stale loader descriptor is in use. */
	ljmp	$SEL_CODE32, $1f
1:	movl	$SEL_KDATA, %ecx
	movl	%ecx, %ds
	movl	%ecx, %es
	movl	%ecx, %fs
	movl	%ecx, %gs
	movl	%ecx, %ss

	/* Keep the loader's hand-off for C (.data, so clearing .bss spares it). */
	movl	%eax, boot_magic
	movl	%ebx, boot_mbi

	/* Long mode needs PAE paging: CR4.PAE, CR3, EFER.LME, then CR0.PG. */
	movl	%cr4, %ecx
	orl	$CR4_PAE, %ecx
	movl	%ecx, %cr4

	movl	$pml4, %ecx
	movl	%ecx, %cr3

	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr

	movl	%cr0, %ecx
	orl	$CR0_PG, %ecx
	movl	%ecx, %cr0

	/* Now in compatibility mode; a far jump to a L=1 segment enters 64-bit. */
	ljmp	$SEL_KCODE64, $long_mode

	.code64
long_mode:
	/* sysexitq derives the CPL3 CS/SS from this MSR (see SEL_* above). */
	movl	$MSR_SYSENTER_CS, %ecx
	movl	$SEL_KCODE64, %eax
	xorl	%edx, %edx
	wrmsr

	/*
	 * sysexit leaves RFLAGS alone, so set it here: IOPL=3 for port I/O
	 * at CPL3, DF=0 as the C ABI expects (Multiboot leaves it undefined).
	 * popfq is the only way to set IOPL without iret, and it needs a
	 * stack: borrow the top of the CPL3 stack for these two instructions.
	 */
	movl	$user_stack_top, %esp
	pushq	$RFLAGS_USER
	popfq

	/* sysexitq: RIP = RDX, RSP = RCX, CS = 0x33, SS = 0x3b, CPL = 3. */
	movl	$user_entry, %edx
	movl	$user_stack_top, %ecx
	sysexitq

	/* First CPL3 code: everything from here on runs natively. */
	.text
user_entry:
	/* RSP is 16-byte aligned here, so after the call it is ABI-correct. */
	call	guest_start
	/* guest_start() never returns; stop hard if it ever does. */
	ud2

	.data
	.balign	8
gdt:
	.quad	0				/* 0x00: null */
	.quad	0x00cf9a000000ffff		/* 0x08: code32, DPL0 */
	.quad	0x00af9a000000ffff		/* 0x10: code64, DPL0 */
	.quad	0x00cf92000000ffff		/* 0x18: data, DPL0 */
	.quad	0x00cffa000000ffff		/* 0x20: code32, DPL3 */
	.quad	0x00cff2000000ffff		/* 0x28: data, DPL3 */
	.quad	0x00affa000000ffff		/* 0x30: code64, DPL3 */
	.quad	0x00cff2000000ffff		/* 0x38: data, DPL3 */
gdt_end:

	.balign	8
	.word	0				/* pad so the base is 4-aligned */
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.balign	4
	.globl	boot_magic
boot_magic:
	.long	0
	.globl	boot_mbi
boot_mbi:
	.long	0

	/*
	 * Identity map of the low 4 GiB with 2 MiB pages, all user-accessible
	 * and writable (the guest runs at CPL3 and also needs the test device
	 * MMIO window at 0xfe900000). One PML4 entry -> one PDPT with 4
	 * entries -> 4 page directories of 512 entries. Built by the assembler
	 * so that no CPL0 loop is needed; 24 KiB in total.
	 */
	.section .pagetables, "aw"
	.balign	4096
pml4:
	.quad	pdpt + PTE_TABLE
	.fill	511, 8, 0
pdpt:
	.quad	pd + 0x0000 + PTE_TABLE
	.quad	pd + 0x1000 + PTE_TABLE
	.quad	pd + 0x2000 + PTE_TABLE
	.quad	pd + 0x3000 + PTE_TABLE
	.fill	508, 8, 0
pd:
	.set	addr, 0
	.rept	2048
	.quad	addr + PTE_LARGE
	.set	addr, addr + 0x200000
	.endr

	.section .stack, "aw", @nobits
	.balign	16
user_stack:
	.skip	USER_STACK_SIZE
user_stack_top:

	.section .note.GNU-stack, "", @progbits
