/*
 * First C code, entered at CPL3 from entry.S: checks the loader hand-off,
 * clears .bss, runs the guest and reports its result via debug-exit.
 */
#include "guest.h"

/* Written by entry.S before paging is enabled (they live in .data). */
extern uint32_t boot_magic;
extern uint32_t boot_mbi;

extern char __image_start[], __image_end[];
extern char __bss_start[], __bss_end[];

/* In .data rather than .bss: guest_start() clears .bss after reading it. */
const struct multiboot_info *mb_info __attribute__((section(".data")));

void guest_start(void) __attribute__((noreturn));

static bool overlaps_image(uint64_t start, uint64_t len)
{
	uint64_t img_start = (uint64_t)__image_start;
	uint64_t img_end = (uint64_t)__image_end;

	return start < img_end && start + len > img_start;
}

/*
 * A loader that puts the Multiboot info (or the command line) on top of our
 * image has a bug; say so instead of silently reading garbage, because
 * clearing .bss below would destroy it.
 */
static int check_handoff(void)
{
	const struct multiboot_info *mbi = mb_info;

	if (!mbi)
		return 0;
	if (overlaps_image((uint64_t)mbi, sizeof(*mbi)))
		return fail("multiboot info at 0x%lx overlaps the image [0x%lx, 0x%lx)",
			    (unsigned long)mbi, (unsigned long)__image_start,
			    (unsigned long)__image_end);
	if ((mbi->flags & MULTIBOOT_INFO_CMDLINE) &&
	    overlaps_image(mbi->cmdline, strlen((const char *)(uint64_t)mbi->cmdline) + 1))
		return fail("multiboot cmdline at 0x%x overlaps the image", mbi->cmdline);
	return 0;
}

void guest_start(void)
{
	/*
	 * Without the magic EBX means nothing (e.g. a bare KVM_RUN harness
	 * that only loads the image): run with defaults instead.
	 */
	if (boot_magic == MULTIBOOT_BOOTLOADER_MAGIC)
		mb_info = (const struct multiboot_info *)(uint64_t)boot_mbi;

	if (check_handoff())
		debug_exit(1);

	/* Loaders zero p_memsz past p_filesz, but this is cheap at CPL3. */
	memset(__bss_start, 0, __bss_end - __bss_start);

	debug_exit(guest_main());
}

void debug_exit(uint32_t code)
{
	/* isa-debug-exit compatible: exit status becomes (code << 1) | 1. */
	outl(0xf4, code);

	/*
	 * Still here: no debug-exit device. Any exception ends the VM (there
	 * is no IDT: a triple fault, or an emulation failure on kvm_pvm),
	 * which beats spinning forever in a test run.
	 */
	serial_puts("debug-exit did not stop the VM\n");
	for (;;)
		asm volatile("ud2");
}
