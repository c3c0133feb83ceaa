/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu-vmm: the command line, then the machine, then the main loop.
 *
 * Options follow QEMU's spelling ("-m 512M", "-M microvm,key=value", also
 * with two dashes).  Every bad option or value ends the program with one
 * error line naming it and exit code 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>

#include "qemu-vmm/expect.h"
#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/machine.h"
#include "qemu-vmm/migration.h"
#include "qemu-vmm/monitor.h"
#include "qemu-vmm/options.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/sandbox.h"
#ifdef QEMU_VMM_TEST_HOOKS
#include "sandbox-probe.h"      /* tests/sandbox: test builds only */
#endif

#define QEMU_VMM_VERSION "0.1.0"
#define DEFAULT_RAM_MIB 128
#define MAX_RAM (1ULL << 40)    /* 1 TiB */
#define MAX_SMP 255             /* xAPIC ids without an IOMMU */

enum opt_id {
    OPT_MACHINE, OPT_M, OPT_SMP, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_ACCEL,
    OPT_CPU, OPT_DEVICE, OPT_SERIAL, OPT_NOGRAPHIC, OPT_DISPLAY, OPT_NO_REBOOT,
    OPT_NAME, OPT_D, OPT_LOGFILE, OPT_HELP, OPT_VERSION, OPT_EXPECT, OPT_EXPECT_TIMEOUT,
    OPT_QMP, OPT_S, OPT_PIDFILE, OPT_DAEMONIZE, OPT_INCOMING, OPT_DRIVE, OPT_NETDEV,
    OPT_CHARDEV, OPT_SANDBOX, OPT_GLOBAL,
};

static const struct option_def {
    const char *name;
    enum opt_id id;
    const char *arg;    /* NULL: takes no argument */
    const char *help;
} option_defs[] = {
    { "machine", OPT_MACHINE, "TYPE[,PROP=VALUE...]", "select the machine (-machine help lists them)" },
    { "M", OPT_MACHINE, "TYPE[,PROP=VALUE...]", "same as -machine" },
    { "m", OPT_M, "SIZE[M|G]", "guest RAM (default 128M; a plain number is MiB)" },
    { "smp", OPT_SMP, "N[,cpus=N]", "number of vCPUs (default 1)" },
    { "kernel", OPT_KERNEL, "FILE", "the kernel to boot (Multiboot ELF on x86)" },
    { "initrd", OPT_INITRD, "FILE", "initial ramdisk" },
    { "append", OPT_APPEND, "CMDLINE", "kernel command line" },
    { "accel", OPT_ACCEL, "kvm[,dirty-ring-size=N]", "accelerator (only kvm); N: dirty ring entries per vCPU" },
    { "cpu", OPT_CPU, "host", "vCPU model (only host)" },
    { "device", OPT_DEVICE, "DRIVER[,PROP=VALUE...]", "add a device (-device help lists them)" },
    { "drive", OPT_DRIVE, "file=PATH,if=virtio|none[,id=ID,format=raw,readonly=on]",
      "a disk image" },
    { "netdev", OPT_NETDEV, "tap,id=ID,ifname=NAME,script=no", "a network backend" },
    { "chardev", OPT_CHARDEV, "stdio|socket,id=ID[,...]", "a character backend" },
    { "global", OPT_GLOBAL, "virtio-mmio.ioeventfd=on|off",
      "a default for every device of a type" },
    { "qmp", OPT_QMP, "unix:PATH|tcp:HOST:PORT,server=on,wait=off", "a QMP monitor" },
    { "S", OPT_S, NULL, "do not start the vCPUs (QMP cont starts them)" },
    { "incoming", OPT_INCOMING, "tcp:HOST:PORT|unix:PATH|file:PATH|defer",
      "wait for an incoming migration" },
    { "sandbox", OPT_SANDBOX, "on|off",
      "seccomp filters on every thread once the VM is set up (default on)" },
    { "pidfile", OPT_PIDFILE, "FILE", "write the process id to FILE" },
    { "daemonize", OPT_DAEMONIZE, NULL, "detach once the VM is set up" },
    { "serial", OPT_SERIAL, "stdio|none|file:PATH", "where the UART goes (default stdio)" },
    { "nographic", OPT_NOGRAPHIC, NULL, "no display; serial on stdio (the default anyway)" },
    { "display", OPT_DISPLAY, "none", "display backend (only none)" },
    { "no-reboot", OPT_NO_REBOOT, NULL, "exit with code 0 instead of resetting the guest" },
    { "name", OPT_NAME, "NAME", "a name for the VM" },
    { "d", OPT_D, "ITEM[,ITEM...]", "enable debug log categories (-d help lists them)" },
    { "D", OPT_LOGFILE, "FILE", "write the debug log to FILE" },
    { "expect", OPT_EXPECT, "REGEX", "exit with 0 when a serial console line matches REGEX" },
    { "expect-timeout", OPT_EXPECT_TIMEOUT, "SECONDS",
      "exit with 4 if --expect has not matched by then (a guest panic exits with 6)" },
    { "help", OPT_HELP, NULL, "print this help and exit" },
    { "h", OPT_HELP, NULL, "same as -help" },
    { "version", OPT_VERSION, NULL, "print the version and exit" },
};

struct config {
    const char *machine_opts;
    const char *m;
    const char *smp;
    const char *kernel;
    const char *initrd;
    const char *append;
    const char *serial;
    const char *name;
    const char *expect;
    unsigned int expect_timeout;
    bool no_reboot;
    bool start_paused;
    bool daemonize;
    bool sandbox_off;
    const char *pidfile;
    const char *incoming;
    GPtrArray *devices;     /* const char * */
    GPtrArray *drives, *netdevs, *chardevs, *globals, *qmp;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: qemu-vmm [options]\n\n");
    for (size_t i = 0; i < G_N_ELEMENTS(option_defs); i++) {
        const struct option_def *o = &option_defs[i];
        g_autofree char *lhs = g_strdup_printf("-%s%s%s", o->name, o->arg ? " " : "",
                                               o->arg ? o->arg : "");

        fprintf(out, "  %-36s %s\n", lhs, o->help);
    }
}

static const struct option_def *find_option(const char *arg)
{
    const char *name = arg + 1;

    if (name[0] == '-')     /* --opt is the same as -opt */
        name++;
    for (size_t i = 0; i < G_N_ELEMENTS(option_defs); i++)
        if (!strcmp(option_defs[i].name, name))
            return &option_defs[i];
    return NULL;
}

/* Returns -1 to continue, or an exit code. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        const struct option_def *o;

        if (arg[0] != '-' || !arg[1]) {
            error_report("unexpected argument '%s' (options start with '-'; try -help)", arg);
            return EXIT_CONFIG_ERROR;
        }
        o = find_option(arg);
        if (!o) {
            error_report("%s: invalid option (try -help)", arg);
            return EXIT_CONFIG_ERROR;
        }
        if (o->arg) {
            if (i + 1 >= argc) {
                error_report("%s: requires an argument (%s)", arg, o->arg);
                return EXIT_CONFIG_ERROR;
            }
            val = argv[++i];
        }
        switch (o->id) {
        case OPT_MACHINE: cfg->machine_opts = val; break;
        case OPT_M: cfg->m = val; break;
        case OPT_SMP: cfg->smp = val; break;
        case OPT_KERNEL: cfg->kernel = val; break;
        case OPT_INITRD: cfg->initrd = val; break;
        case OPT_APPEND: cfg->append = val; break;
        case OPT_SERIAL: cfg->serial = val; break;
        case OPT_NAME: cfg->name = val; break;
        case OPT_NO_REBOOT: cfg->no_reboot = true; break;
        case OPT_EXPECT: cfg->expect = val; break;
        case OPT_EXPECT_TIMEOUT: {
            uint64_t t;

            if (parse_uint(val, &t) < 0 || t == 0 || t > 86400 * 365) {
                error_report("--expect-timeout %s: expected a number of seconds", val);
                return EXIT_CONFIG_ERROR;
            }
            cfg->expect_timeout = (unsigned int)t;
            break;
        }
        case OPT_NOGRAPHIC: break;
        case OPT_DEVICE: g_ptr_array_add(cfg->devices, (gpointer)val); break;
        case OPT_DRIVE: g_ptr_array_add(cfg->drives, (gpointer)val); break;
        case OPT_NETDEV: g_ptr_array_add(cfg->netdevs, (gpointer)val); break;
        case OPT_CHARDEV: g_ptr_array_add(cfg->chardevs, (gpointer)val); break;
        case OPT_GLOBAL: g_ptr_array_add(cfg->globals, (gpointer)val); break;
        case OPT_QMP: g_ptr_array_add(cfg->qmp, (gpointer)val); break;
        case OPT_S: cfg->start_paused = true; break;
        case OPT_PIDFILE: cfg->pidfile = val; break;
        case OPT_DAEMONIZE: cfg->daemonize = true; break;
        case OPT_SANDBOX:
            if (strcmp(val, "on") && strcmp(val, "off")) {
                error_report("-sandbox %s: expected on or off", val);
                return EXIT_CONFIG_ERROR;
            }
            cfg->sandbox_off = !strcmp(val, "off");
            break;
        case OPT_INCOMING: cfg->incoming = val; break;
        case OPT_ACCEL: {
            g_autoptr(GError) err = NULL;
            struct kvm_accel_opts ao;

            if (kvm_parse_accel_opts(val, &ao, &err) < 0) {
                error_report("-accel %s: %s", val, err->message);
                return EXIT_CONFIG_ERROR;
            }
            kvm_set_accel_opts(&ao);
            break;
        }
        case OPT_CPU:
            if (strcmp(val, "host") && strcmp(val, "max")) {
                error_report("-cpu %s: only the host CPU model is supported", val);
                return EXIT_CONFIG_ERROR;
            }
            break;
        case OPT_DISPLAY:
            if (strcmp(val, "none")) {
                error_report("-display %s: only -display none is supported", val);
                return EXIT_CONFIG_ERROR;
            }
            break;
        case OPT_D:
            if (!strcmp(val, "help")) {
                log_print_categories(stdout);
                return EXIT_OK;
            }
            if (log_parse_categories(val, &log_mask) < 0)
                return EXIT_CONFIG_ERROR;
            break;
        case OPT_LOGFILE:
            if (log_set_file(val) < 0)
                return EXIT_CONFIG_ERROR;
            break;
        case OPT_HELP:
            usage(stdout);
            return EXIT_OK;
        case OPT_VERSION:
            printf("qemu-vmm version " QEMU_VMM_VERSION "\n");
            return EXIT_OK;
        }
    }
    return -1;
}

static int parse_ram(const char *val, uint64_t *ram)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) kv = keyval_parse(val, "size", &err);
    const char *size;
    int ret;

    if (!kv) {
        error_report("-m %s: %s", val, err->message);
        return -EINVAL;
    }
    size = g_hash_table_lookup(kv, "size");
    if (!size || g_hash_table_size(kv) != 1) {
        error_report("-m %s: expected a size such as 512M or 2G", val);
        return -EINVAL;
    }
    ret = parse_size(size, 1ULL << 20, ram);
    if (ret == -ERANGE || (ret == 0 && *ram > MAX_RAM)) {
        error_report("-m %s: RAM size too large (at most %llu GiB)", val, MAX_RAM >> 30);
        return -ERANGE;
    }
    if (ret < 0) {
        error_report("-m %s: invalid RAM size (expected a size such as 512M or 2G)", val);
        return ret;
    }
    if (*ram < (1ULL << 20)) {
        error_report("-m %s: RAM size too small (at least 1M)", val);
        return -EINVAL;
    }
    *ram = (*ram + VMM_PAGE_SIZE - 1) & ~(VMM_PAGE_SIZE - 1);
    return 0;
}

static int parse_smp(const char *val, int *smp)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) kv = keyval_parse(val, "cpus", &err);
    GHashTableIter it;
    gpointer k, v;
    uint64_t n = 0;

    if (!kv) {
        error_report("-smp %s: %s", val, err->message);
        return -EINVAL;
    }
    g_hash_table_iter_init(&it, kv);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        uint64_t x;

        if (strcmp(k, "cpus") && strcmp(k, "maxcpus") && strcmp(k, "sockets") &&
            strcmp(k, "cores") && strcmp(k, "threads")) {
            error_report("-smp %s: unknown property '%s'", val, (char *)k);
            return -EINVAL;
        }
        if (parse_uint(v, &x) < 0) {
            error_report("-smp %s: '%s' is not a number", val, (char *)v);
            return -EINVAL;
        }
        if (!strcmp(k, "cpus"))
            n = x;
    }
    if (n == 0 || n > MAX_SMP) {
        error_report("-smp %s: the number of vCPUs must be between 1 and %d", val, MAX_SMP);
        return -EINVAL;
    }
    *smp = (int)n;
    return 0;
}

static int parse_devices(struct config *cfg, MachineState *ms)
{
    for (guint i = 0; i < cfg->devices->len; i++) {
        const char *val = g_ptr_array_index(cfg->devices, i);
        g_autoptr(GError) err = NULL;
        g_autofree char *driver_key = NULL;
        GHashTable *kv;
        struct device_opts *d;
        bool known = false;

        if (!strcmp(val, "help")) {
            printf("Devices of machine %s:\n", ms->mc->name);
            for (const char *const *n = ms->mc->devices; n && *n; n++)
                printf("  %s\n", *n);
            return EXIT_OK;
        }
        kv = keyval_parse(val, "driver", &err);
        if (!kv) {
            error_report("-device %s: %s", val, err->message);
            return EXIT_CONFIG_ERROR;
        }
        d = g_new0(struct device_opts, 1);
        /* the key is stolen too: ours to free */
        g_hash_table_steal_extended(kv, "driver", (gpointer *)&driver_key,
                                    (gpointer *)&d->driver);
        d->props = kv;
        for (const char *const *n = ms->mc->devices; n && *n && d->driver; n++)
            known |= !strcmp(*n, d->driver);
        if (!known) {
            error_report("-device %s: unknown device '%s' for machine %s (try -device help)",
                         val, d->driver ? d->driver : "", ms->mc->name);
            g_hash_table_unref(d->props);
            g_free(d->driver);
            g_free(d);
            return EXIT_CONFIG_ERROR;
        }
        g_ptr_array_add(ms->devices, d);
    }
    return -1;
}

static int apply_machine_opts(const char *opts, MachineState *ms)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) kv = NULL;
    const char *type = NULL;
    GHashTableIter it;
    gpointer k, v;

    if (opts) {
        kv = keyval_parse(opts, "type", &err);
        if (!kv) {
            error_report("-machine %s: %s", opts, err->message);
            return EXIT_CONFIG_ERROR;
        }
        type = g_hash_table_lookup(kv, "type");
    }
    if (type && !strcmp(type, "help")) {
        machine_print_list(stdout);
        return EXIT_OK;
    }
    ms->mc = type ? machine_find(type) : machine_default();
    if (!ms->mc) {
        error_report("-machine %s: unknown machine type '%s' (try -machine help)", opts ? opts : "", type ? type : "");
        return EXIT_CONFIG_ERROR;
    }
    if (ms->mc->create)
        ms->mc->create(ms);
    if (!kv)
        return -1;
    g_hash_table_iter_init(&it, kv);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (!strcmp(k, "type"))
            continue;
        if (!strcmp(k, "accel")) {
            if (strcmp(v, "kvm")) {
                error_report("-machine accel=%s: only kvm is supported", (char *)v);
                return EXIT_CONFIG_ERROR;
            }
            continue;
        }
        if (!ms->mc->set_prop || ms->mc->set_prop(ms, k, v, &err) < 0) {
            error_report("-machine %s: %s", opts,
                         err ? err->message : "unknown property");
            return EXIT_CONFIG_ERROR;
        }
    }
    return -1;
}

static gboolean on_signal(gpointer data)
{
    (void)data;
    vm_request_exit(SHUTDOWN_CAUSE_HOST_SIGNAL, EXIT_OK);
    return G_SOURCE_CONTINUE;
}

static int machine_reset_cb(void *opaque)
{
    MachineState *ms = opaque;

    return ms->mc->reset ? ms->mc->reset(ms) : 0;
}

/*
 * -daemonize: fork before the VM exists (a KVM VM belongs to the process
 * that created it).  The parent waits on a pipe until the child is set
 * up and exits 0 then, or with the child's exit code if set-up failed
 * (the child's error line still reaches the terminal).  Returns the
 * child's end of the pipe.
 */
static int daemonize_start(void)
{
    int fds[2];
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        error_report("-daemonize: pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        error_report("-daemonize: fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        int status;
        ssize_t n;
        char ok;

        close(fds[1]);
        do
            n = read(fds[0], &ok, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1)
            _exit(EXIT_OK);
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status))
            _exit(WEXITSTATUS(status));
        _exit(EXIT_CONFIG_ERROR);
    }
    close(fds[0]);
    setsid();       /* no controlling terminal: no SIGHUP when it closes */
    return fds[1];
}

/* The child is set up: leave the terminal and let the parent exit. */
static void daemonize_finish(int ready_fd)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    if (write(ready_fd, "1", 1) != 1) {
        /* the parent is gone: nobody is waiting */
    }
    close(ready_fd);
}

static char *pidfile_path;
static pid_t pidfile_owner;

static void pidfile_remove(void)
{
    if (getpid() == pidfile_owner)
        unlink(pidfile_path);
}

/* As QEMU: locked while we run (a second instance fails), removed at exit. */
static int pidfile_write(const char *path)
{
    char buf[32];
    int fd, len;

    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_report("-pidfile %s: %s", path, strerror(errno));
        return -1;
    }
    if (lockf(fd, F_TLOCK, 0) < 0) {
        error_report("-pidfile %s: locked by another process: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)len) != len) {
        error_report("-pidfile %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    /* fd stays open: the lock lasts as long as the process */
    pidfile_path = g_strdup(path);
    pidfile_owner = getpid();
    atexit(pidfile_remove);
    return 0;
}

/*
 * The VM lives as long as the process and is not torn down at exit; static,
 * so that what it holds stays reachable to the end (no LeakSanitizer noise).
 */
static struct config cfg;
static MachineState ms;

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    int daemon_fd = -1;
    int ret;

    cfg = (struct config){ .devices = g_ptr_array_new(), .drives = g_ptr_array_new(),
                           .netdevs = g_ptr_array_new(), .chardevs = g_ptr_array_new(),
                           .globals = g_ptr_array_new(), .qmp = g_ptr_array_new() };
    ms = (MachineState){ .smp = 1, .ram_size = DEFAULT_RAM_MIB << 20,
                         .devices = g_ptr_array_new() };
    ret = parse_args(argc, argv, &cfg);
    if (ret >= 0)
        return ret;
    ret = apply_machine_opts(cfg.machine_opts, &ms);
    if (ret >= 0)
        return ret;
    ret = parse_devices(&cfg, &ms);
    if (ret >= 0)
        return ret;
    if (cfg.m && parse_ram(cfg.m, &ms.ram_size) < 0)
        return EXIT_CONFIG_ERROR;
    if (cfg.smp && parse_smp(cfg.smp, &ms.smp) < 0)
        return EXIT_CONFIG_ERROR;
    if (cfg.serial && strcmp(cfg.serial, "stdio") && strcmp(cfg.serial, "none") &&
        strncmp(cfg.serial, "file:", 5)) {
        error_report("-serial %s: expected stdio, none or file:PATH", cfg.serial);
        return EXIT_CONFIG_ERROR;
    }
    if (!cfg.kernel) {
        error_report("no -kernel given: there is no firmware to boot from (try -help)");
        return EXIT_CONFIG_ERROR;
    }
    if (cfg.daemonize) {
        /* a daemon has no terminal: the serial port goes nowhere unless told */
        if (cfg.serial && !strcmp(cfg.serial, "stdio")) {
            error_report("-daemonize: -serial stdio needs a terminal (use none or file:PATH)");
            return EXIT_CONFIG_ERROR;
        }
        if (!cfg.serial)
            cfg.serial = "none";
        daemon_fd = daemonize_start();
        if (daemon_fd < 0)
            return EXIT_CONFIG_ERROR;
    }
    ms.kernel = g_strdup(cfg.kernel);
    ms.initrd = g_strdup(cfg.initrd);
    ms.append = g_strdup(cfg.append ? cfg.append : "");
    ms.serial = g_strdup(cfg.serial ? cfg.serial : "stdio");
    ms.no_reboot = cfg.no_reboot;
    ms.drives = cfg.drives;
    ms.netdevs = cfg.netdevs;
    ms.chardevs = cfg.chardevs;
    ms.globals = cfg.globals;
    ms.name = g_strdup(cfg.name);
    if (expect_init(cfg.expect, cfg.expect_timeout, &err) < 0) {
        error_report("--expect %s: %s", cfg.expect, err->message);
        return EXIT_CONFIG_ERROR;
    }
    vm_set_no_reboot(cfg.no_reboot);
    /* threads made during set-up (I/O, block, incoming) filter themselves */
    if (!cfg.sandbox_off && sandbox_enable(&err) < 0) {
        error_report("%s", err->message);
        return EXIT_CONFIG_ERROR;
    }

    /* devices see it: an incoming VM's disks wait for the source to let go */
    if (cfg.incoming)
        runstate_set(RUN_STATE_INMIGRATE);
    if (ms.mc->init(&ms, &err) < 0) {
        error_report("%s", err ? err->message : "machine initialisation failed");
        return EXIT_CONFIG_ERROR;
    }
#ifdef QEMU_VMM_TEST_HOOKS
    if (sandbox_probe_init(&err) < 0) {
        error_report("sandbox-probe: %s", err->message);
        return EXIT_CONFIG_ERROR;
    }
#endif
    if (monitor_init(&ms, cfg.qmp, &err) < 0) {
        error_report("%s", err->message);
        return EXIT_CONFIG_ERROR;
    }
    migration_init(&ms);
    migration_qmp_register();
    if (cfg.incoming && strcmp(cfg.incoming, "defer") &&
        migration_incoming(cfg.incoming, &err) < 0) {
        error_report("-incoming: %s", err->message);
        return EXIT_CONFIG_ERROR;
    }
    if (cfg.pidfile && pidfile_write(cfg.pidfile) < 0)
        return EXIT_CONFIG_ERROR;
    if (cfg.daemonize)
        daemonize_finish(daemon_fd);
    /* an incoming VM waits for its state; -S waits for cont */
    if (cfg.incoming)
        runstate_set(RUN_STATE_INMIGRATE);
    else
        runstate_set(cfg.start_paused ? RUN_STATE_PRELAUNCH : RUN_STATE_RUNNING);
    if (vcpus_start(ms.cpus, ms.smp, cfg.start_paused || cfg.incoming) < 0)
        return EXIT_VM_ERROR;
    /*
     * Set-up is done and the main loop has taken no input yet.  After the
     * vCPU threads are created, so that they run under their own filter
     * only (one filter per KVM exit, not two).
     */
    sandbox_thread_start(SANDBOX_MAIN, "main", -1);
    /* after: GLib's signal thread (gmain) starts here, under the main filter */
    g_unix_signal_add(SIGINT, on_signal, NULL);
    g_unix_signal_add(SIGTERM, on_signal, NULL);
    g_unix_signal_add(SIGHUP, on_signal, NULL);
    ret = main_loop_run(machine_reset_cb, &ms);
    fflush(stdout);
    return ret;
}
