/*
 * The sandbox test's guest: writes the probe port (sandbox-probe.c), whose
 * handler makes a forbidden system call on the vCPU thread.  Reaching the
 * second line means the VMM survived it (expected with -sandbox off only).
 */
#include "guest.h"
#include "io.h"

#define SANDBOX_PROBE_PORT 0x5e0

int guest_main(void)
{
	printf("probe: writing the probe port\n");
	outb(SANDBOX_PROBE_PORT, 1);
	printf("probe: the VMM is still running\n");
	return 0;
}
