/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds without QMP (the static cross build): no commands to add. */
#include "qemu-vmm/migration.h"

void migration_qmp_register(void)
{
}
