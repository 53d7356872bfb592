/* registry.c: the format registry and plugin loading, the only file that
 * uses libltdl. Plugins come from libltdl's preloaded symbol table (static
 * builds) and from the search path: directories the program adds, then
 * BRINE_PLUGIN_PATH, then the installed plugin directory, or the plugins of
 * the build tree when this libbrine itself runs uninstalled from it. A
 * plugin that cannot be used is recorded as a failure naming its file;
 * loading goes on. Byte filters (#22) load the same way into a list of
 * their own, so that every call that hands out formats sees formats only.
 * libltdl keeps process-wide state (its init count, its handle list, its
 * last error) and has no lock of its own, so every libltdl call here holds
 * ltdl_lock: unlocked, threads loading and freeing their own registries
 * crashed (SIGSEGV in 5 of 15 runs of 8 threads). */
#define _GNU_SOURCE /* dladdr */
#include <config.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <ltdl.h>

#include "internal.h"
#include "brine/format.h"

#ifndef BRINE_PLUGIN_DIR
#define BRINE_PLUGIN_DIR "/usr/local/lib/brine/plugins"
#endif

/* Present only in programs linked with libtool's -dlpreopen. */
extern const lt_dlsymlist lt_preloaded_symbols[] __attribute__((weak));

/* Held around every libltdl call, and while reading lt_dlerror after one. */
static pthread_mutex_t ltdl_lock = PTHREAD_MUTEX_INITIALIZER;

/* libltdl's message when its own allocation failed (lt_error.h). */
static const char ltdl_nomem[] = "not enough memory";

typedef struct reg_entry {
    const brine_plugin *plugin;
    char *origin;
    char *shadowed;     /* the first later file with the same name, or NULL */
    lt_dlhandle handle; /* NULL for descriptors added by the program */
} reg_entry;

typedef struct reg_failure {
    char *file;
    char *reason;
} reg_failure;

struct brine_registry {
    reg_entry *entries;
    size_t count, cap;
    reg_entry *filters; /* BRINE_CAP_FILTER plugins (shadowed unused) */
    size_t filter_count, filter_cap;
    reg_failure *failures;
    size_t failure_count, failure_cap;
    char **dirs;
    size_t dir_count;
    int ltdl_started;
};

static char *dup_str(const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = brine_malloc(len);
    if (d)
        memcpy(d, s, len);
    return d;
}

/* Grows *array (of elem-size items) to hold one more. */
static int grow(void **array, size_t *cap, size_t count, size_t elem)
{
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = brine_realloc(*array, ncap * elem);
    if (!n)
        return -1;
    *array = n;
    *cap = ncap;
    return 0;
}

brine_registry *brine_registry_new(brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    brine_registry *reg = brine_malloc(sizeof *reg);
    if (!reg) {
        brinep_nomem(err);
        return NULL;
    }
    memset(reg, 0, sizeof *reg);
    return reg;
}

void brine_registry_free(brine_registry *reg)
{
    if (!reg)
        return;
    pthread_mutex_lock(&ltdl_lock);
    for (size_t i = 0; i < reg->count; i++)
        if (reg->entries[i].handle)
            lt_dlclose(reg->entries[i].handle);
    for (size_t i = 0; i < reg->filter_count; i++)
        if (reg->filters[i].handle)
            lt_dlclose(reg->filters[i].handle);
    if (reg->ltdl_started)
        lt_dlexit();
    pthread_mutex_unlock(&ltdl_lock);
    for (size_t i = 0; i < reg->count; i++) {
        brine_free(reg->entries[i].origin);
        brine_free(reg->entries[i].shadowed);
    }
    for (size_t i = 0; i < reg->filter_count; i++)
        brine_free(reg->filters[i].origin);
    brine_free(reg->filters);
    for (size_t i = 0; i < reg->failure_count; i++) {
        brine_free(reg->failures[i].file);
        brine_free(reg->failures[i].reason);
    }
    for (size_t i = 0; i < reg->dir_count; i++)
        brine_free(reg->dirs[i]);
    brine_free(reg->entries);
    brine_free(reg->failures);
    brine_free(reg->dirs);
    brine_free(reg);
}

int brine_registry_add_dir(brine_registry *reg, const char *dir, brine_error *err)
{
    brinep_enter(err);
    if (!reg || !dir || !*dir)
        return brine_error_set(err, BRINE_E_INVALID, "brine_registry_add_dir needs a registry and a directory");
    char **dirs = brine_realloc(reg->dirs, (reg->dir_count + 1) * sizeof *dirs);
    if (!dirs)
        return brinep_nomem(err);
    reg->dirs = dirs;
    if (!(dirs[reg->dir_count] = dup_str(dir)))
        return brinep_nomem(err);
    reg->dir_count++;
    return BRINE_OK;
}

/* Records a failure; returns BRINE_E_PLUGIN with the same reason in err,
 * or BRINE_E_NOMEM when the failure cannot even be recorded. */
static int add_failure(brine_registry *reg, const char *file, const char *reason, brine_error *err)
{
    if (grow((void **)&reg->failures, &reg->failure_cap, reg->failure_count, sizeof *reg->failures))
        return brinep_nomem(err);
    reg_failure *f = &reg->failures[reg->failure_count];
    f->file = dup_str(file);
    f->reason = dup_str(reason);
    if (!f->file || !f->reason) {
        brine_free(f->file);
        brine_free(f->reason);
        return brinep_nomem(err);
    }
    reg->failure_count++;
    return brine_error_set(err, BRINE_E_PLUGIN, "%s: %s", file, reason);
}

static int valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

/* Why the host cannot use descriptor p, or NULL if it can. */
static const char *refuse(const brine_plugin *p, char *why, size_t cap)
{
    if (!p)
        return "the entry point returned no descriptor";
    if (p->abi != BRINE_PLUGIN_ABI) {
        snprintf(why, cap, "built for plugin ABI %u, but this libbrine speaks ABI %u", (unsigned)p->abi,
                 (unsigned)BRINE_PLUGIN_ABI);
        return why;
    }
    if (p->size < sizeof(brine_plugin)) {
        snprintf(why, cap, "its descriptor is %u bytes, smaller than the %zu bytes of ABI %u", (unsigned)p->size,
                 sizeof(brine_plugin), (unsigned)BRINE_PLUGIN_ABI);
        return why;
    }
    if (!valid_name(p->name))
        return "its format name is missing or not made of lowercase letters, digits, - and _";
    if (p->caps & BRINE_CAP_FILTER) {
        if (p->caps & (BRINE_CAP_DECODE | BRINE_CAP_ENCODE))
            return "it claims to be both a filter and a format";
        const brine_filter_ops *f = p->filter;
        if (!f || f->size < sizeof(brine_filter_ops) || !f->create || !f->run || !f->destroy)
            return "it claims to be a filter but its filter functions are missing";
        return NULL;
    }
    if (!(p->caps & (BRINE_CAP_DECODE | BRINE_CAP_ENCODE)))
        return "it can neither decode nor encode";
    if ((p->caps & BRINE_CAP_DECODE) && !p->decode)
        return "it claims to decode but has no decode function";
    if ((p->caps & BRINE_CAP_ENCODE) && !p->encoder_new)
        return "it claims to encode but has no encoder_new function";
    return NULL;
}

/* Registers filter p (refuse() accepted it) unless its name is taken. */
static int add_filter(brine_registry *reg, const brine_plugin *p, const char *origin, lt_dlhandle handle,
                      brine_error *err)
{
    char why[PATH_MAX + 100];
    for (size_t i = 0; i < reg->filter_count; i++)
        if (strcmp(reg->filters[i].plugin->name, p->name) == 0) {
            snprintf(why, sizeof why, "a filter named '%s' is already loaded from %s; this one is ignored", p->name,
                     reg->filters[i].origin);
            return add_failure(reg, origin, why, err);
        }
    if (grow((void **)&reg->filters, &reg->filter_cap, reg->filter_count, sizeof *reg->filters))
        return brinep_nomem(err);
    reg_entry *e = &reg->filters[reg->filter_count];
    if (!(e->origin = dup_str(origin)))
        return brinep_nomem(err);
    e->plugin = p;
    e->shadowed = NULL;
    e->handle = handle;
    reg->filter_count++;
    return BRINE_OK;
}

/* Registers p unless it is refused or its name is taken. */
static int add_plugin(brine_registry *reg, const brine_plugin *p, const char *origin, lt_dlhandle handle,
                      brine_error *err)
{
    char why[PATH_MAX + 100];
    const char *reason = refuse(p, why, sizeof why);
    if (!reason && (p->caps & BRINE_CAP_FILTER))
        return add_filter(reg, p, origin, handle, err);
    if (!reason) {
        const brine_plugin *same = brine_registry_find(reg, p->name);
        if (same) {
            size_t i = 0;
            while (reg->entries[i].plugin != same)
                i++;
            /* The winner names what it hides, for brine_registry_shadowed. */
            if (!reg->entries[i].shadowed && !(reg->entries[i].shadowed = dup_str(origin)))
                return brinep_nomem(err);
            snprintf(why, sizeof why, "a format named '%s' is already loaded from %s; this one is ignored", p->name,
                     reg->entries[i].origin);
            reason = why;
        }
    }
    if (reason)
        return add_failure(reg, origin, reason, err);
    if (grow((void **)&reg->entries, &reg->cap, reg->count, sizeof *reg->entries))
        return brinep_nomem(err);
    reg_entry *e = &reg->entries[reg->count];
    if (!(e->origin = dup_str(origin)))
        return brinep_nomem(err);
    e->plugin = p;
    e->shadowed = NULL;
    e->handle = handle;
    reg->count++;
    return BRINE_OK;
}

int brine_registry_add(brine_registry *reg, const brine_plugin *plugin, const char *origin, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!reg)
        return brine_error_set(err, BRINE_E_INVALID, "brine_registry_add needs a registry");
    return add_plugin(reg, plugin, origin ? origin : "added by the program", NULL, err);
}

static int start_ltdl(brine_registry *reg, brine_error *err)
{
    if (reg->ltdl_started)
        return BRINE_OK;
    char why[200] = "";
    pthread_mutex_lock(&ltdl_lock);
    if (lt_dlinit() != 0) {
        const char *e = lt_dlerror();
        snprintf(why, sizeof why, "%s", e ? e : "unknown error");
    } else {
        reg->ltdl_started = 1;
    }
    pthread_mutex_unlock(&ltdl_lock);
    if (reg->ltdl_started)
        return BRINE_OK;
    if (strcmp(why, ltdl_nomem) == 0)
        return brinep_nomem(err);
    return brine_error_set(err, BRINE_E_PLUGIN, "libltdl failed to start: %s", why);
}

/* NAME.so for a libtool archive NAME.la, else path itself, in buf. */
static const char *library_of(const char *path, char *buf, size_t cap)
{
    size_t len = strlen(path);
    if (len <= 3 || strcmp(path + len - 3, ".la") != 0 || len + 1 > cap)
        return path;
    memcpy(buf, path, len - 3);
    memcpy(buf + len - 3, ".so", 4);
    return buf;
}

/* Why the file at path must not be opened (with a reason in why), or NULL.
 * Opening without blocking and checking the open file: a FIFO named x.so
 * would otherwise hang the loader, and a file anyone may write, or one in
 * a directory anyone may write to (sticky or not: anyone may add a new
 * plugin there), would run whoever wrote it inside this program. */
static const char *unsafe_file(const char *path, int want_library, char *why, size_t cap)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(why, cap, "cannot open it: %s", strerror(errno));
        return why;
    }
    struct stat st;
    unsigned char magic[4] = {0};
    const char *reason = NULL;
    if (fstat(fd, &st) != 0) {
        snprintf(why, cap, "cannot examine it: %s", strerror(errno));
        reason = why;
    } else if (!S_ISREG(st.st_mode)) {
        reason = "not a regular file";
    } else if (st.st_mode & S_IWOTH) {
        snprintf(why, cap, "refused: anyone may write to the file (mode %04o)", (unsigned)(st.st_mode & 07777));
        reason = why;
    } else if (want_library &&
               (read(fd, magic, sizeof magic) != (ssize_t)sizeof magic || memcmp(magic, "\177ELF", 4))) {
#ifdef __ELF__
        reason = "not a shared library";
#endif
    }
    close(fd);
    if (reason)
        return reason;
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH)) {
        snprintf(why, cap, "refused: anyone may write to its directory %s (mode %04o)", dir,
                 (unsigned)(st.st_mode & 07777));
        return why;
    }
    return NULL;
}

/* unsafe_file for a plugin file, and for a libtool archive (NAME.la, a text
 * file naming the library) also for the NAME.so beside it, which libltdl
 * opens. */
static const char *unsafe_plugin(const char *path, char *why, size_t cap)
{
    char buf[PATH_MAX];
    const char *lib = library_of(path, buf, sizeof buf);
    const char *reason = unsafe_file(path, lib == path, why, cap);
    if (reason || lib == path || access(lib, F_OK) != 0)
        return reason;
    if ((reason = unsafe_file(lib, 1, why, cap)) && reason != why) {
        snprintf(why, cap, "%s: %s", lib, reason);
        reason = why;
    }
    return reason;
}

/* Takes the descriptor from an opened module and registers it; closes the
 * module if it is not kept. The entry point runs without the lock: it is
 * the plugin's code, and may take its time. */
static int adopt_module(brine_registry *reg, lt_dlhandle h, const char *origin, brine_error *err)
{
    pthread_mutex_lock(&ltdl_lock);
    lt_dlerror(); /* forget an earlier error: a NULL symbol is told by it */
    /* lt_dlsym tries <module>_LTX_brine_plugin_entry first. */
    brine_plugin_entry_fn entry = (brine_plugin_entry_fn)(uintptr_t)lt_dlsym(h, "brine_plugin_entry");
    const char *e = entry ? NULL : lt_dlerror();
    int nomem = e && strcmp(e, ltdl_nomem) == 0;
    if (!entry)
        lt_dlclose(h);
    pthread_mutex_unlock(&ltdl_lock);
    if (nomem)
        return brinep_nomem(err);
    if (!entry)
        return add_failure(reg, origin, "not a brine plugin: it has no brine_plugin_entry function", err);
    int rc = add_plugin(reg, entry(), origin, h, err);
    if (rc) {
        pthread_mutex_lock(&ltdl_lock);
        lt_dlclose(h);
        pthread_mutex_unlock(&ltdl_lock);
    }
    return rc;
}

/* 1 if the dynamic linker's message err means memory ran out. Mapping a
 * segment fails for want of address space (ulimit -v) but also on a file
 * system mounted noexec, which is told apart here. */
static int linker_out_of_memory(const char *err, const char *lib)
{
    if (strstr(err, "out of memory") || strstr(err, "Cannot allocate memory"))
        return 1;
    struct statvfs vfs;
    return strstr(err, "failed to map segment") && statvfs(lib, &vfs) == 0 && !(vfs.f_flag & ST_NOEXEC);
}

/* Opens path with libltdl; NULL with the reason in why. *nomem tells an
 * allocation failure (libltdl's own or the dynamic linker's) from a file
 * that cannot be loaded. libltdl reports each failure of the dynamic
 * linker as "file not found" (so did an exhausted ulimit -v), so the
 * linker is asked for the reason itself. */
static lt_dlhandle open_module(const char *path, char *why, size_t cap, int *nomem)
{
    lt_dladvise advise;
    lt_dlhandle h = NULL;
    *nomem = 0;
    pthread_mutex_lock(&ltdl_lock);
    /* Local symbols: two plugins may define the same statics without clashing. */
    if (lt_dladvise_init(&advise) != 0) {
        *nomem = 1; /* lt_dladvise_init fails only to allocate */
    } else {
        if (!lt_dladvise_local(&advise))
            h = lt_dlopenadvise(path, advise);
        lt_dladvise_destroy(&advise);
    }
    const char *e = h || *nomem ? NULL : lt_dlerror();
    snprintf(why, cap, "cannot be loaded: %s", e ? e : "unknown error");
    pthread_mutex_unlock(&ltdl_lock);
    if (h || *nomem)
        return h;
    if (e && strcmp(e, ltdl_nomem) == 0) {
        *nomem = 1;
        return NULL;
    }
    char buf[PATH_MAX];
    const char *lib = library_of(path, buf, sizeof buf);
    dlerror();
    void *probe = dlopen(lib, RTLD_LAZY | RTLD_LOCAL);
    const char *reason = probe ? NULL : dlerror();
    if (probe)
        dlclose(probe); /* it loads now: keep libltdl's reason */
    if (reason) {
        *nomem = linker_out_of_memory(reason, lib);
        snprintf(why, cap, "cannot be loaded: %s", reason);
    }
    return NULL;
}

int brine_registry_load_file(brine_registry *reg, const char *path, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!reg || !path)
        return brine_error_set(err, BRINE_E_INVALID, "brine_registry_load_file needs a registry and a path");
    int rc = start_ltdl(reg, err);
    if (rc)
        return rc;
    char why[PATH_MAX + 100];
    const char *reason = unsafe_plugin(path, why, sizeof why);
    if (reason)
        return add_failure(reg, path, reason, err);
    int nomem;
    lt_dlhandle h = open_module(path, why, sizeof why, &nomem);
    if (nomem)
        return brinep_nomem(err);
    if (!h)
        return add_failure(reg, path, why, err);
    return adopt_module(reg, h, path, err);
}

/* Registers the plugins of a static build: libtool's -dlpreopen lists each
 * module's exported symbols in lt_preloaded_symbols, and a plugin's entry
 * point is there under its <module>_LTX_brine_plugin_entry name. */
static int load_preloaded(brine_registry *reg, brine_error *err)
{
    static const char suffix[] = "_LTX_brine_plugin_entry";
    const size_t slen = sizeof suffix - 1;
    for (const lt_dlsymlist *s = lt_preloaded_symbols; s && s->name; s++) {
        size_t len = strlen(s->name);
        if (!s->address || len <= slen || strcmp(s->name + len - slen, suffix) != 0)
            continue;
        char origin[128];
        snprintf(origin, sizeof origin, "preloaded (%.*s)", (int)(len - slen), s->name);
        brine_plugin_entry_fn entry = (brine_plugin_entry_fn)(uintptr_t)s->address;
        /* A refused plugin is recorded as a failure; running out of memory
         * is the caller's error, never a silently smaller registry. */
        if (add_plugin(reg, entry(), origin, NULL, NULL) == BRINE_E_NOMEM)
            return brinep_nomem(err);
    }
    return BRINE_OK;
}

static int has_library_suffix(const char *name)
{
    size_t len = strlen(name);
    static const char *const exts[] = {".la", ".so", ".dylib", ".dll"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t el = strlen(exts[i]);
        if (len > el && strcmp(name + len - el, exts[i]) == 0)
            return 1;
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every library in dir, in name order; a module present as both
 * NAME.la and NAME.so is loaded once (through its .la, as libtool wants). */
static int load_dir(brine_registry *reg, const char *dir, brine_error *err)
{
    DIR *d = opendir(dir);
    if (!d && errno == ENOMEM)
        return brinep_nomem(err);
    if (!d)
        return BRINE_OK; /* a search path may name directories that do not exist */
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = BRINE_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !has_library_suffix(de->d_name))
            continue;
        if (grow((void **)&names, &cap, count, sizeof *names) || !(names[count] = dup_str(de->d_name))) {
            rc = brinep_nomem(err);
            break;
        }
        count++;
    }
    closedir(d);
    if (count)
        qsort(names, count, sizeof *names, cmp_names);
    for (size_t i = 0; i < count && rc == BRINE_OK; i++) {
        char *name = names[i];
        char *dot = strrchr(name, '.');
        int is_la = strcmp(dot, ".la") == 0;
        size_t stem = (size_t)(dot - name);
        /* Skip NAME.so when NAME.la is there too. */
        int twin = 0;
        for (size_t j = 0; j < count && !is_la; j++)
            twin |= strncmp(names[j], name, stem) == 0 && strcmp(names[j] + stem, ".la") == 0;
        if (twin)
            continue;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
            continue;
        rc = brine_registry_load_file(reg, path, NULL);
        if (rc == BRINE_E_NOMEM)
            rc = brinep_nomem(err);
        else
            rc = BRINE_OK; /* recorded as a failure */
    }
    for (size_t i = 0; i < count; i++)
        brine_free(names[i]);
    brine_free(names);
    return rc;
}

/* Loads each directory of a colon-separated list. */
static int load_path_list(brine_registry *reg, const char *list, brine_error *err)
{
    while (list && *list) {
        const char *colon = strchr(list, ':');
        size_t len = colon ? (size_t)(colon - list) : strlen(list);
        if (len > 0 && len < PATH_MAX) {
            char dir[PATH_MAX];
            memcpy(dir, list, len);
            dir[len] = '\0';
            int rc = load_dir(reg, dir, err);
            if (rc)
                return rc;
        }
        list = colon ? colon + 1 : NULL;
    }
    return BRINE_OK;
}

/* 1 when this libbrine is the one in its build tree, not an installed one. */
static int running_uninstalled(void)
{
#ifdef BRINE_BUILD_LIBDIR
    Dl_info info;
    char here[PATH_MAX], built[PATH_MAX];
    if (!dladdr((void *)(uintptr_t)brine_registry_load, &info) || !info.dli_fname)
        return 0;
    if (!realpath(info.dli_fname, here) || !realpath(BRINE_BUILD_LIBDIR, built))
        return 0;
    char *slash = strrchr(here, '/');
    if (slash)
        *slash = '\0';
    return strcmp(here, built) == 0;
#else
    return 0;
#endif
}

const char *brine_plugin_dir(void)
{
    return BRINE_PLUGIN_DIR;
}

int brine_registry_load(brine_registry *reg, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!reg)
        return brine_error_set(err, BRINE_E_INVALID, "brine_registry_load needs a registry");
    int rc = start_ltdl(reg, err);
    if (rc)
        return rc;
    if (lt_preloaded_symbols && (rc = load_preloaded(reg, err)))
        return rc;
    for (size_t i = 0; i < reg->dir_count && rc == BRINE_OK; i++)
        rc = load_dir(reg, reg->dirs[i], err);
    if (rc == BRINE_OK)
        rc = load_path_list(reg, getenv("BRINE_PLUGIN_PATH"), err);
    if (rc == BRINE_OK) {
#ifdef BRINE_BUILD_PLUGIN_PATH
        if (running_uninstalled())
            rc = load_path_list(reg, BRINE_BUILD_PLUGIN_PATH, err);
        else
#endif
            rc = load_dir(reg, BRINE_PLUGIN_DIR, err);
    }
    return rc;
}

size_t brine_registry_count(const brine_registry *reg)
{
    return reg ? reg->count : 0;
}

const brine_plugin *brine_registry_get(const brine_registry *reg, size_t i)
{
    return reg && i < reg->count ? reg->entries[i].plugin : NULL;
}

const char *brine_registry_origin(const brine_registry *reg, size_t i)
{
    return reg && i < reg->count ? reg->entries[i].origin : NULL;
}

const char *brine_registry_shadowed(const brine_registry *reg, size_t i)
{
    return reg && i < reg->count ? reg->entries[i].shadowed : NULL;
}

size_t brine_registry_failure_count(const brine_registry *reg)
{
    return reg ? reg->failure_count : 0;
}

const char *brine_registry_failure(const brine_registry *reg, size_t i, const char **file)
{
    if (!reg || i >= reg->failure_count)
        return NULL;
    if (file)
        *file = reg->failures[i].file;
    return reg->failures[i].reason;
}

const brine_plugin *brine_registry_find(const brine_registry *reg, const char *name)
{
    for (size_t i = 0; reg && name && i < reg->count; i++)
        if (strcmp(reg->entries[i].plugin->name, name) == 0)
            return reg->entries[i].plugin;
    return NULL;
}

const brine_plugin *brine_registry_find_extension(const brine_registry *reg, const char *ext)
{
    if (!reg || !ext)
        return NULL;
    const char *slash = strrchr(ext, '/');
    const char *base = slash ? slash + 1 : ext;
    const char *dot = strrchr(base, '.');
    if (dot)
        ext = dot + 1;
    else if (base != ext)
        return NULL; /* a path without an extension */
    if (!*ext)
        return NULL;
    for (size_t i = 0; i < reg->count; i++)
        for (const char *const *e = reg->entries[i].plugin->extensions; e && *e; e++)
            if (strcasecmp(*e, ext) == 0)
                return reg->entries[i].plugin;
    return NULL;
}

const brine_plugin *brine_registry_find_mime(const brine_registry *reg, const char *mime)
{
    for (size_t i = 0; reg && mime && i < reg->count; i++)
        if (reg->entries[i].plugin->mime_type && strcasecmp(reg->entries[i].plugin->mime_type, mime) == 0)
            return reg->entries[i].plugin;
    return NULL;
}

const brine_plugin *brine_registry_sniff(const brine_registry *reg, const void *head, size_t len)
{
    const brine_plugin *best = NULL;
    int best_score = 0;
    for (size_t i = 0; reg && head && i < reg->count; i++) {
        const brine_plugin *p = reg->entries[i].plugin;
        if (!p->sniff || !(p->caps & BRINE_CAP_DECODE))
            continue;
        int score = p->sniff(head, len);
        if (score > best_score) {
            best = p;
            best_score = score;
        }
    }
    return best;
}

size_t brine_registry_filter_count(const brine_registry *reg)
{
    return reg ? reg->filter_count : 0;
}

const brine_plugin *brine_registry_filter_get(const brine_registry *reg, size_t i)
{
    return reg && i < reg->filter_count ? reg->filters[i].plugin : NULL;
}

const char *brine_registry_filter_origin(const brine_registry *reg, size_t i)
{
    return reg && i < reg->filter_count ? reg->filters[i].origin : NULL;
}

const brine_plugin *brine_registry_find_filter(const brine_registry *reg, const char *name)
{
    for (size_t i = 0; reg && name && i < reg->filter_count; i++)
        if (strcmp(reg->filters[i].plugin->name, name) == 0)
            return reg->filters[i].plugin;
    return NULL;
}

const brine_plugin *brine_registry_find_filter_extension(const brine_registry *reg, const char *path, size_t *stem_len)
{
    if (!reg || !path)
        return NULL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base || !dot[1])
        return NULL; /* no extension, or a hidden file's name ("/.gz") */
    for (size_t i = 0; i < reg->filter_count; i++)
        for (const char *const *e = reg->filters[i].plugin->extensions; e && *e; e++)
            if (strcasecmp(*e, dot + 1) == 0) {
                if (stem_len)
                    *stem_len = (size_t)(dot - path);
                return reg->filters[i].plugin;
            }
    return NULL;
}

const brine_plugin *brine_registry_sniff_filter(const brine_registry *reg, const void *head, size_t len,
                                                const brine_plugin *known_format)
{
    const brine_plugin *best = NULL;
    int best_score = 0;
    int weak_ok = -1; /* known_format's sniff is asked once, and only if a weak magic may count */
    for (size_t i = 0; reg && head && i < reg->filter_count; i++) {
        const brine_plugin *p = reg->filters[i].plugin;
        if (!p->filter->magic)
            continue;
        if (p->filter->flags & BRINE_FILTER_WEAK_MAGIC) {
            if (weak_ok < 0)
                weak_ok = known_format && known_format->sniff && known_format->sniff(head, len) == 0;
            if (!weak_ok)
                continue;
        }
        int score = p->filter->magic(head, len);
        if (score > best_score) {
            best = p;
            best_score = score;
        }
    }
    return best;
}
