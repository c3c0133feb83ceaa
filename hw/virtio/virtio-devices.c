/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio devices a machine gets from its command line: -drive
 * if=virtio, and -device virtio-blk-device / virtio-rng-device /
 * virtio-serial-device (+ virtconsole) / virtio-net-device with the
 * -drive if=none, -chardev and -netdev options they refer to.  Each device gets a virtio-mmio
 * transport; if=virtio drives come first, then -device options in order.
 *
 * Every option is checked before anything is created, and each mistake
 * gets one error naming the option.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/options.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/virtio.h"
#include "qemu-vmm/virtio-blk.h"
#include "qemu-vmm/virtio-console.h"
#include "qemu-vmm/virtio-mmio.h"
#include "qemu-vmm/virtio-net.h"
#include "qemu-vmm/virtio-rng.h"

#define BLK_SERIAL_MAX 20

struct drive {
    const char *opt;
    GHashTable *kv;
    const char *id;
    bool if_virtio;
    bool used;
    struct virtio_blk_conf conf;
};

struct chardev_opt {
    const char *opt;
    GHashTable *kv;
    struct vcon_chr_conf conf;
    bool used;
};

struct netdev {
    const char *opt;
    GHashTable *kv;
    const char *id;
    const char *ifname;
    int vnet_hdr;
    int vhost;
    bool used;
};

enum dev_kind { DEV_BLK, DEV_RNG, DEV_SERIAL, DEV_NET, DEV_KINDS };

/* One transport to create, in order. */
struct plan {
    enum dev_kind kind;
    const char *what;               /* for messages: "-drive ..." or "-device ..." */
    struct virtio_blk_conf blk;
    struct virtio_rng_conf rng;
    struct chardev_opt *console;    /* DEV_SERIAL: its virtconsole's chardev, or NULL */
    struct virtio_net_conf net;
};

struct config {
    GPtrArray *drives;      /* struct drive * */
    GPtrArray *chardevs;    /* struct chardev_opt * */
    GPtrArray *netdevs;     /* struct netdev * */
    GArray *plans;          /* struct plan */
    GPtrArray *strings;     /* messages kept alive for the plans */
    const char *stdio_taken;    /* who reads stdin already, or NULL */
    bool ioeventfd;             /* -global virtio-mmio.ioeventfd */
};

struct transport {
    struct virtio_device *vdev;
    struct virtio_mmio *mmio;
};

static GPtrArray *transports;   /* struct transport *, for machine resets */

static int bad(GError **errp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(GError **errp, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s", msg);
    return -EINVAL;
}

bool virtio_is_device_driver(const char *driver)
{
    return !strncmp(driver, "virtio-", 7) || !strcmp(driver, "virtconsole");
}

/* The first key of kv that is not in allowed, or NULL. */
static const char *unknown_key(GHashTable *kv, const char *const *allowed)
{
    GHashTableIter it;
    gpointer k;

    g_hash_table_iter_init(&it, kv);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        bool ok = false;

        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, k);
        if (!ok)
            return k;
    }
    return NULL;
}

static int get_bool(GHashTable *kv, const char *key, bool def, bool *out, const char *what,
                    GError **errp)
{
    const char *v = g_hash_table_lookup(kv, key);

    *out = def;
    if (v && parse_bool(v, out) < 0)
        return bad(errp, "%s: %s=%s: expected on or off", what, key, v);
    return 0;
}

/* ---- -drive ---- */

static int parse_cache(const char *v, enum blk_cache *out)
{
    static const struct { const char *name; enum blk_cache cache; } modes[] = {
        { "writeback", BLK_CACHE_WRITEBACK }, { "none", BLK_CACHE_NONE },
        { "writethrough", BLK_CACHE_WRITETHROUGH }, { "directsync", BLK_CACHE_DIRECTSYNC },
        { "unsafe", BLK_CACHE_UNSAFE },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        if (!strcmp(v, modes[i].name)) {
            *out = modes[i].cache;
            return 0;
        }
    }
    return -EINVAL;
}

static int parse_drive(const char *opt, struct drive *d, GError **errp)
{
    static const char *const keys[] = {
        "file", "if", "id", "format", "readonly", "cache", "aio", "discard", "serial",
        "media", NULL,
    };
    g_autoptr(GError) err = NULL;
    const char *v, *k;

    d->opt = opt;
    d->kv = keyval_parse(opt, NULL, &err);
    if (!d->kv)
        return bad(errp, "-drive %s: %s", opt, err->message);
    k = unknown_key(d->kv, keys);
    if (k)
        return bad(errp, "-drive %s: unknown option '%s'", opt, k);
    d->conf.path = g_hash_table_lookup(d->kv, "file");
    if (!d->conf.path || !*d->conf.path)
        return bad(errp, "-drive %s: file= is required", opt);
    d->id = g_hash_table_lookup(d->kv, "id");
    v = g_hash_table_lookup(d->kv, "if");
    if (!v || !strcmp(v, "virtio"))
        d->if_virtio = true;
    else if (strcmp(v, "none"))
        return bad(errp, "-drive %s: if=%s is not supported (virtio or none)", opt, v);
    if (!d->if_virtio && (!d->id || !*d->id))
        return bad(errp, "-drive %s: if=none needs an id= for -device ...,drive=ID", opt);
    v = g_hash_table_lookup(d->kv, "format");
    if (v && strcmp(v, "raw"))
        return bad(errp, "-drive %s: format=%s is not supported (raw only)", opt, v);
    v = g_hash_table_lookup(d->kv, "media");
    if (v && strcmp(v, "disk"))
        return bad(errp, "-drive %s: media=%s is not supported (disk only)", opt, v);
    if (get_bool(d->kv, "readonly", false, &d->conf.readonly, "-drive", errp) < 0) {
        g_prefix_error(errp, "%s: ", opt);
        return -EINVAL;
    }
    v = g_hash_table_lookup(d->kv, "cache");
    if (v && parse_cache(v, &d->conf.cache) < 0)
        return bad(errp, "-drive %s: cache=%s: expected none, writeback, writethrough, "
                   "directsync or unsafe", opt, v);
    v = g_hash_table_lookup(d->kv, "aio");
    if (!v)
        d->conf.aio = BLK_AIO_AUTO;
    else if (!strcmp(v, "threads"))
        d->conf.aio = BLK_AIO_THREADS;
    else if (!strcmp(v, "io_uring"))
        d->conf.aio = BLK_AIO_IO_URING;
    else
        return bad(errp, "-drive %s: aio=%s: expected threads or io_uring", opt, v);
    v = g_hash_table_lookup(d->kv, "discard");
    if (v && (!strcmp(v, "unmap") || !strcmp(v, "on")))
        d->conf.discard_unmap = true;
    else if (v && strcmp(v, "ignore") && strcmp(v, "off"))
        return bad(errp, "-drive %s: discard=%s: expected ignore or unmap", opt, v);
    d->conf.serial = g_hash_table_lookup(d->kv, "serial");
    if (d->conf.serial && strlen(d->conf.serial) > BLK_SERIAL_MAX)
        return bad(errp, "-drive %s: serial= is longer than %d characters", opt,
                   BLK_SERIAL_MAX);
    return 0;
}

static struct drive *find_drive(struct config *c, const char *id)
{
    for (guint i = 0; i < c->drives->len; i++) {
        struct drive *d = g_ptr_array_index(c->drives, i);

        if (d->id && !strcmp(d->id, id))
            return d;
    }
    return NULL;
}

static int parse_drives(MachineState *ms, struct config *c, GError **errp)
{
    for (guint i = 0; i < ms->drives->len; i++) {
        const char *opt = g_ptr_array_index(ms->drives, i);
        struct drive *d = g_new0(struct drive, 1);

        g_ptr_array_add(c->drives, d);
        if (parse_drive(opt, d, errp) < 0)
            return -EINVAL;
        for (guint j = 0; d->id && j < i; j++) {
            struct drive *o = g_ptr_array_index(c->drives, j);

            if (o->id && !strcmp(o->id, d->id))
                return bad(errp, "-drive %s: id '%s' is already used", opt, d->id);
        }
    }
    return 0;
}

/* ---- -chardev ---- */

static int parse_chardev(const char *opt, struct chardev_opt *ch, GError **errp)
{
    static const char *const stdio_keys[] = { "backend", "id", NULL };
    static const char *const file_keys[] = { "backend", "id", "path", NULL };
    static const char *const socket_keys[] = {
        "backend", "id", "path", "server", "wait", NULL,
    };
    g_autoptr(GError) err = NULL;
    const char *const *keys;
    const char *backend, *k;
    struct vcon_chr_conf *cf = &ch->conf;

    ch->opt = opt;
    ch->kv = keyval_parse(opt, "backend", &err);
    if (!ch->kv)
        return bad(errp, "-chardev %s: %s", opt, err->message);
    backend = g_hash_table_lookup(ch->kv, "backend");
    cf->id = g_hash_table_lookup(ch->kv, "id");
    if (!backend)
        return bad(errp, "-chardev %s: the backend type is missing (stdio, socket, file "
                   "or null)", opt);
    if (!cf->id || !*cf->id)
        return bad(errp, "-chardev %s: id= is required", opt);
    if (!strcmp(backend, "stdio") || !strcmp(backend, "null")) {
        cf->kind = backend[0] == 's' ? VCON_CHR_STDIO : VCON_CHR_NULL;
        keys = stdio_keys;
    } else if (!strcmp(backend, "file")) {
        cf->kind = VCON_CHR_FILE;
        keys = file_keys;
    } else if (!strcmp(backend, "socket")) {
        cf->kind = VCON_CHR_SOCKET;
        keys = socket_keys;
        if (g_hash_table_contains(ch->kv, "host") || g_hash_table_contains(ch->kv, "port"))
            return bad(errp, "-chardev %s: only unix sockets (path=) are supported", opt);
    } else {
        return bad(errp, "-chardev %s: unknown backend '%s' (stdio, socket, file or null)",
                   opt, backend);
    }
    k = unknown_key(ch->kv, keys);
    if (k)
        return bad(errp, "-chardev %s: unknown option '%s' for backend %s", opt, k, backend);
    cf->path = g_hash_table_lookup(ch->kv, "path");
    if ((cf->kind == VCON_CHR_FILE || cf->kind == VCON_CHR_SOCKET) &&
        (!cf->path || !*cf->path))
        return bad(errp, "-chardev %s: path= is required", opt);
    if (get_bool(ch->kv, "server", false, &cf->server, "-chardev", errp) < 0 ||
        get_bool(ch->kv, "wait", true, &cf->wait, "-chardev", errp) < 0) {
        g_prefix_error(errp, "%s: ", opt);
        return -EINVAL;
    }
    return 0;
}

static int parse_chardevs(MachineState *ms, struct config *c, GError **errp)
{
    for (guint i = 0; i < ms->chardevs->len; i++) {
        const char *opt = g_ptr_array_index(ms->chardevs, i);
        struct chardev_opt *ch = g_new0(struct chardev_opt, 1);

        g_ptr_array_add(c->chardevs, ch);
        if (parse_chardev(opt, ch, errp) < 0)
            return -EINVAL;
        for (guint j = 0; j < i; j++) {
            struct chardev_opt *o = g_ptr_array_index(c->chardevs, j);

            if (!strcmp(o->conf.id, ch->conf.id))
                return bad(errp, "-chardev %s: id '%s' is already used", opt, ch->conf.id);
        }
    }
    return 0;
}

/* ---- -global ---- */

/* QEMU's DRIVER.PROP=VALUE; the transports' ioeventfd is the only one we have. */
static int parse_globals(MachineState *ms, struct config *c, GError **errp)
{
    c->ioeventfd = true;
    for (guint i = 0; ms->globals && i < ms->globals->len; i++) {
        const char *opt = g_ptr_array_index(ms->globals, i);
        const char *v = g_str_has_prefix(opt, "virtio-mmio.ioeventfd=") ?
                        strchr(opt, '=') + 1 : NULL;

        if (!v)
            return bad(errp, "-global %s: unsupported (only virtio-mmio.ioeventfd=on|off)",
                       opt);
        if (parse_bool(v, &c->ioeventfd) < 0)
            return bad(errp, "-global %s: expected on or off", opt);
    }
    return 0;
}

/* ---- -netdev ---- */

/* A script is a program run as root: we run none, the user sets the tap up. */
static bool no_script(GHashTable *kv, const char *key)
{
    const char *v = g_hash_table_lookup(kv, key);

    return !v || !strcmp(v, "no") || !*v;
}

static int parse_netdev(const char *opt, struct netdev *n, GError **errp)
{
    static const char *const keys[] = {
        "type", "id", "ifname", "script", "downscript", "vhost", "vnet_hdr", NULL,
    };
    g_autoptr(GError) err = NULL;
    const char *type, *k, *v;
    bool b;

    n->opt = opt;
    n->kv = keyval_parse(opt, "type", &err);
    if (!n->kv)
        return bad(errp, "-netdev %s: %s", opt, err->message);
    type = g_hash_table_lookup(n->kv, "type");
    if (!type || strcmp(type, "tap"))
        return bad(errp, "-netdev %s: backend '%s' is not supported (tap only)", opt,
                   type ? type : "");
    k = unknown_key(n->kv, keys);
    if (k)
        return bad(errp, "-netdev %s: unknown option '%s'", opt, k);
    n->id = g_hash_table_lookup(n->kv, "id");
    if (!n->id || !*n->id)
        return bad(errp, "-netdev %s: id= is required", opt);
    n->ifname = g_hash_table_lookup(n->kv, "ifname");
    if (!n->ifname)
        n->ifname = "";
    if (strlen(n->ifname) >= IFNAMSIZ)
        return bad(errp, "-netdev %s: ifname '%s' is longer than %d characters", opt,
                   n->ifname, IFNAMSIZ - 1);
    if (!no_script(n->kv, "script") || !no_script(n->kv, "downscript"))
        return bad(errp, "-netdev %s: scripts are not supported (script=no,downscript=no; "
                   "configure the tap interface yourself)", opt);
    /* default: vhost-net where /dev/vhost-net opens, userspace elsewhere */
    n->vhost = -1;
    v = g_hash_table_lookup(n->kv, "vhost");
    if (v) {
        if (parse_bool(v, &b) < 0)
            return bad(errp, "-netdev %s: vhost=%s: expected on or off", opt, v);
        n->vhost = b;
    }
    n->vnet_hdr = -1;
    v = g_hash_table_lookup(n->kv, "vnet_hdr");
    if (v) {
        if (parse_bool(v, &b) < 0)
            return bad(errp, "-netdev %s: vnet_hdr=%s: expected on or off", opt, v);
        n->vnet_hdr = b;
    }
    return 0;
}

static int parse_netdevs(MachineState *ms, struct config *c, GError **errp)
{
    for (guint i = 0; i < ms->netdevs->len; i++) {
        const char *opt = g_ptr_array_index(ms->netdevs, i);
        struct netdev *n = g_new0(struct netdev, 1);

        g_ptr_array_add(c->netdevs, n);
        if (parse_netdev(opt, n, errp) < 0)
            return -EINVAL;
        for (guint j = 0; j < i; j++) {
            struct netdev *o = g_ptr_array_index(c->netdevs, j);

            if (!strcmp(o->id, n->id))
                return bad(errp, "-netdev %s: id '%s' is already used", opt, n->id);
        }
    }
    return 0;
}

/* ---- -device ---- */

static int plan_blk(struct config *c, struct device_opts *d, struct plan *p, GError **errp)
{
    static const char *const keys[] = { "drive", "serial", "id", NULL };
    const char *k = unknown_key(d->props, keys);
    const char *id = g_hash_table_lookup(d->props, "drive");
    const char *serial = g_hash_table_lookup(d->props, "serial");
    struct drive *drv;

    if (k)
        return bad(errp, "-device virtio-blk-device: unknown property '%s'", k);
    if (!id)
        return bad(errp, "-device virtio-blk-device: drive= is required");
    drv = find_drive(c, id);
    if (!drv)
        return bad(errp, "-device virtio-blk-device,drive=%s: no -drive with id=%s", id, id);
    if (drv->if_virtio)
        return bad(errp, "-device virtio-blk-device,drive=%s: the drive has if=virtio "
                   "(it is a device already); use if=none", id);
    if (drv->used)
        return bad(errp, "-device virtio-blk-device,drive=%s: the drive is already in use",
                   id);
    if (serial && strlen(serial) > BLK_SERIAL_MAX)
        return bad(errp, "-device virtio-blk-device: serial= is longer than %d characters",
                   BLK_SERIAL_MAX);
    drv->used = true;
    p->kind = DEV_BLK;
    p->blk = drv->conf;
    if (serial)
        p->blk.serial = serial;
    p->what = g_strdup_printf("-device virtio-blk-device,drive=%s", id);
    g_ptr_array_add(c->strings, (char *)p->what);
    return 0;
}

static int get_positive(GHashTable *kv, const char *key, uint64_t def, uint64_t *out,
                        GError **errp)
{
    const char *v = g_hash_table_lookup(kv, key);

    *out = def;
    if (v && (parse_uint(v, out) < 0 || *out == 0 || *out > INT64_MAX))
        return bad(errp, "-device virtio-rng-device: %s=%s: expected a positive number",
                   key, v);
    return 0;
}

static int plan_rng(struct device_opts *d, struct plan *p, GError **errp)
{
    static const char *const keys[] = { "max-bytes", "period", "filename", "id", NULL };
    const char *k = unknown_key(d->props, keys);

    if (k)
        return bad(errp, "-device virtio-rng-device: unknown property '%s'", k);
    p->kind = DEV_RNG;
    p->what = "-device virtio-rng-device";
    p->rng.filename = g_hash_table_lookup(d->props, "filename");
    if (get_positive(d->props, "max-bytes", VIRTIO_RNG_DEFAULT_MAX_BYTES,
                     &p->rng.max_bytes, errp) < 0 ||
        get_positive(d->props, "period", VIRTIO_RNG_DEFAULT_PERIOD_MS,
                     &p->rng.period_ms, errp) < 0)
        return -EINVAL;
    return 0;
}

static struct chardev_opt *find_chardev(struct config *c, const char *id)
{
    for (guint i = 0; i < c->chardevs->len; i++) {
        struct chardev_opt *ch = g_ptr_array_index(c->chardevs, i);

        if (!strcmp(ch->conf.id, id))
            return ch;
    }
    return NULL;
}

/* A virtconsole is the console port of the first virtio-serial-device without one. */
static int plan_console(struct config *c, struct device_opts *d, GError **errp)
{
    static const char *const keys[] = { "chardev", "id", "name", NULL };
    const char *k = unknown_key(d->props, keys);
    const char *id = g_hash_table_lookup(d->props, "chardev");
    struct chardev_opt *ch;

    if (k)
        return bad(errp, "-device virtconsole: unknown property '%s'", k);
    if (!id)
        return bad(errp, "-device virtconsole: chardev= is required");
    ch = find_chardev(c, id);
    if (!ch)
        return bad(errp, "-device virtconsole,chardev=%s: no -chardev with id=%s", id, id);
    if (ch->used)
        return bad(errp, "-device virtconsole,chardev=%s: the chardev is already in use", id);
    /* two readers of stdin would split the input, and the tty set-up */
    if (ch->conf.kind == VCON_CHR_STDIO && c->stdio_taken)
        return bad(errp, "-device virtconsole,chardev=%s: stdio is already used by %s", id,
                   c->stdio_taken);
    for (guint i = 0; i < c->plans->len; i++) {
        struct plan *p = &g_array_index(c->plans, struct plan, i);

        if (p->kind == DEV_SERIAL && !p->console) {
            if (ch->conf.kind == VCON_CHR_STDIO)
                c->stdio_taken = "another virtconsole";
            p->console = ch;
            ch->used = true;
            return 0;
        }
    }
    return bad(errp, "-device virtconsole,chardev=%s: needs a -device virtio-serial-device "
               "before it (one console each)", id);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char end;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &end) != 6 || strlen(s) != 17)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return (mac[0] & 1) ? -EINVAL : 0;  /* a multicast address is no station's */
}

static int plan_net(struct config *c, struct device_opts *d, struct plan *p, GError **errp)
{
    static const char *const keys[] = { "netdev", "mac", "id", NULL };
    static unsigned int next_mac;
    const char *k = unknown_key(d->props, keys);
    const char *id = g_hash_table_lookup(d->props, "netdev");
    const char *mac = g_hash_table_lookup(d->props, "mac");
    struct netdev *n = NULL;

    if (k)
        return bad(errp, "-device virtio-net-device: unknown property '%s'", k);
    if (!id)
        return bad(errp, "-device virtio-net-device: netdev= is required");
    for (guint i = 0; i < c->netdevs->len && !n; i++) {
        struct netdev *o = g_ptr_array_index(c->netdevs, i);

        if (!strcmp(o->id, id))
            n = o;
    }
    if (!n)
        return bad(errp, "-device virtio-net-device,netdev=%s: no -netdev with id=%s", id, id);
    if (n->used)
        return bad(errp, "-device virtio-net-device,netdev=%s: the netdev is already in use",
                   id);
    n->used = true;
    p->kind = DEV_NET;
    p->net.ifname = n->ifname;
    p->net.vnet_hdr = n->vnet_hdr;
    p->net.vhost = n->vhost;
    if (mac) {
        if (parse_mac(mac, p->net.mac) < 0)
            return bad(errp, "-device virtio-net-device: mac=%s: expected a unicast "
                       "address like 52:54:00:12:34:56", mac);
    } else {
        /* QEMU's default, one per NIC */
        memcpy(p->net.mac, (const uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, 6);
        p->net.mac[5] = (uint8_t)(0x56 + next_mac++);
    }
    p->what = g_strdup_printf("-device virtio-net-device,netdev=%s", id);
    g_ptr_array_add(c->strings, (char *)p->what);
    return 0;
}

static int plan_devices(MachineState *ms, struct config *c, GError **errp)
{
    /* if=virtio drives first, as QEMU creates them before -device */
    for (guint i = 0; i < c->drives->len; i++) {
        struct drive *d = g_ptr_array_index(c->drives, i);
        struct plan p = { .kind = DEV_BLK, .what = d->opt, .blk = d->conf };

        if (!d->if_virtio)
            continue;
        p.what = g_strdup_printf("-drive %s", d->opt);
        g_ptr_array_add(c->strings, (char *)p.what);
        g_array_append_val(c->plans, p);
    }
    for (guint i = 0; i < ms->devices->len; i++) {
        struct device_opts *d = g_ptr_array_index(ms->devices, i);
        struct plan p = { 0 };
        int ret = 0;

        if (!virtio_is_device_driver(d->driver))
            continue;
        if (!strcmp(d->driver, "virtio-blk-device")) {
            ret = plan_blk(c, d, &p, errp);
        } else if (!strcmp(d->driver, "virtio-rng-device")) {
            ret = plan_rng(d, &p, errp);
        } else if (!strcmp(d->driver, "virtio-serial-device")) {
            const char *k = unknown_key(d->props, (const char *const[]){ "id", NULL });

            if (k)
                return bad(errp, "-device virtio-serial-device: unknown property '%s'", k);
            p.kind = DEV_SERIAL;
            p.what = "-device virtio-serial-device";
        } else if (!strcmp(d->driver, "virtconsole")) {
            if (plan_console(c, d, errp) < 0)
                return -EINVAL;
            continue;
        } else if (!strcmp(d->driver, "virtio-net-device")) {
            ret = plan_net(c, d, &p, errp);
        } else {
            return bad(errp, "-device %s: unknown virtio device", d->driver);
        }
        if (ret < 0)
            return ret;
        g_array_append_val(c->plans, p);
    }
    return 0;
}

/* ---- creation ---- */

/* The device of a plan; errors name the option that asked for it. */
static struct virtio_device *create_device(struct plan *p, unsigned int *counts,
                                           AddressSpace *as, GError **errp)
{
    g_autofree char *name = NULL;
    struct vcon_chr *chr = NULL;
    struct virtio_device *vdev = NULL;

    switch (p->kind) {
    case DEV_BLK:
        name = g_strdup_printf("virtio-blk%u", counts[DEV_BLK]++);
        vdev = virtio_blk_create(name, as, &p->blk, errp);
        break;
    case DEV_RNG:
        name = g_strdup_printf("virtio-rng%u", counts[DEV_RNG]++);
        vdev = virtio_rng_create(name, as, &p->rng, errp);
        break;
    case DEV_NET:
        name = g_strdup_printf("virtio-net%u", counts[DEV_NET]++);
        vdev = virtio_net_create(name, as, &p->net, errp);
        break;
    case DEV_SERIAL:
        name = g_strdup_printf("virtio-console%u", counts[DEV_SERIAL]++);
        if (p->console) {
            chr = vcon_chr_open(&p->console->conf, errp);
            if (!chr) {
                g_prefix_error(errp, "-chardev %s: ", p->console->opt);
                return NULL;
            }
        }
        vdev = virtio_console_create(name, as, chr, errp);
        if (!vdev)
            vcon_chr_free(chr);
        break;
    default:
        g_assert_not_reached();
    }
    if (!vdev)
        g_prefix_error(errp, "%s: ", p->what);
    return vdev;
}

static void on_vm_event(const char *event, const char *json, void *opaque)
{
    (void)json;
    (void)opaque;
    /* the machine reset the vCPUs; the devices go back to their initial state */
    if (strcmp(event, "RESET"))
        return;
    for (guint i = 0; transports && i < transports->len; i++) {
        struct transport *t = g_ptr_array_index(transports, i);

        virtio_mmio_reset(t->mmio);
    }
}

static int create_all(MachineState *ms, struct config *c, uint64_t base,
                      unsigned int gsi_base, unsigned int max, virtio_placed_fn placed,
                      void *opaque, GError **errp)
{
    unsigned int counts[DEV_KINDS] = { 0 };

    if (c->plans->len > max) {
        struct plan *p = &g_array_index(c->plans, struct plan, max);

        return bad(errp, "%s: too many virtio devices (at most %u)", p->what, max);
    }
    for (guint i = 0; i < c->plans->len; i++) {
        struct plan *p = &g_array_index(c->plans, struct plan, i);
        uint64_t addr = base + (uint64_t)i * VIRTIO_MMIO_SIZE;
        struct transport *t = g_new0(struct transport, 1);

        t->vdev = create_device(p, counts, ms->mem, errp);
        if (!t->vdev) {
            g_free(t);
            return -EINVAL;
        }
        t->mmio = virtio_mmio_create(ms->mem, addr, machine_irq_line(ms, gsi_base + i),
                                     t->vdev, errp);
        if (!t->mmio) {
            /* the device is left to process exit: it is idle and unreachable */
            g_free(t);
            g_prefix_error(errp, "%s: ", p->what);
            return -EINVAL;
        }
        if (!c->ioeventfd)
            virtio_mmio_set_ioeventfd(t->mmio, false, NULL);   /* removing cannot fail */
        if (!transports) {
            transports = g_ptr_array_new();
            vm_add_event_handler(on_vm_event, NULL);
        }
        g_ptr_array_add(transports, t);
        if (placed)
            placed(opaque, addr, VIRTIO_MMIO_SIZE, gsi_base + i);
    }
    return 0;
}

static void config_free(struct config *c)
{
    for (guint i = 0; i < c->drives->len; i++) {
        struct drive *d = g_ptr_array_index(c->drives, i);

        if (d->kv)
            g_hash_table_destroy(d->kv);
        g_free(d);
    }
    for (guint i = 0; i < c->chardevs->len; i++) {
        struct chardev_opt *ch = g_ptr_array_index(c->chardevs, i);

        if (ch->kv)
            g_hash_table_destroy(ch->kv);
        g_free(ch);
    }
    for (guint i = 0; i < c->netdevs->len; i++) {
        struct netdev *n = g_ptr_array_index(c->netdevs, i);

        if (n->kv)
            g_hash_table_destroy(n->kv);
        g_free(n);
    }
    g_ptr_array_free(c->netdevs, TRUE);
    g_ptr_array_free(c->drives, TRUE);
    g_ptr_array_free(c->chardevs, TRUE);
    g_array_free(c->plans, TRUE);
    g_ptr_array_free(c->strings, TRUE);
}

int virtio_devices_init(MachineState *ms, uint64_t base, unsigned int gsi_base,
                        unsigned int max, virtio_placed_fn placed, void *opaque,
                        GError **errp)
{
    struct config c = {
        .drives = g_ptr_array_new(),
        .chardevs = g_ptr_array_new(),
        .netdevs = g_ptr_array_new(),
        .plans = g_array_new(FALSE, TRUE, sizeof(struct plan)),
        .strings = g_ptr_array_new_with_free_func(g_free),
    };
    int ret;

    if (ms->serial && !strcmp(ms->serial, "stdio"))
        c.stdio_taken = "-serial stdio (add -serial none)";
    ret = parse_globals(ms, &c, errp);
    if (ret == 0)
        ret = parse_drives(ms, &c, errp);
    if (ret == 0)
        ret = parse_chardevs(ms, &c, errp);
    if (ret == 0)
        ret = parse_netdevs(ms, &c, errp);
    if (ret == 0)
        ret = plan_devices(ms, &c, errp);
    if (ret == 0)
        ret = create_all(ms, &c, base, gsi_base, max, placed, opaque, errp);
    /* the devices copied what they keep (paths, serials) */
    config_free(&c);
    return ret;
}
