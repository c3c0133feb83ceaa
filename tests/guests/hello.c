/* Smallest possible guest: one line on the serial port, exit code 0. */
#include "guest.h"

int guest_main(void)
{
	serial_puts("hello from guest\n");
	return 0;
}
