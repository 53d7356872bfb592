/* raw.c: the raw libraries brine is measured against, used the way a C
 * programmer would without brine: cJSON_Parse / cJSON_PrintUnformatted,
 * msgpack-c's msgpack_unpack_next into a zone and msgpack_pack_object, and
 * the naive transcoding routes that parse with one library and walk the tree
 * writing with the other. The walks keep an explicit stack, like brine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cJSON.h>
#include <msgpack.h>

#include "bench.h"

struct raw_mp_tree {
    msgpack_unpacked unpacked;
};

struct raw_cj_tree {
    cJSON *root;
};

/* A growable stack of fixed-size frames for the tree walks. */
typedef struct stack {
    void *items;
    size_t count, cap, size;
} stack;

static void *stack_push(stack *s)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        void *grown = realloc(s->items, cap * s->size);
        if (!grown)
            return NULL;
        s->items = grown;
        s->cap = cap;
    }
    return (char *)s->items + s->size * s->count++;
}

static void *stack_top(stack *s)
{
    return (char *)s->items + s->size * (s->count - 1);
}

/* ---- msgpack-c ---------------------------------------------------------- */

int raw_mp_unpack(const void *data, size_t len)
{
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    msgpack_unpack_return rc = msgpack_unpack_next(&u, data, len, &off);
    msgpack_unpacked_destroy(&u);
    return rc == MSGPACK_UNPACK_SUCCESS ? 0 : 1;
}

size_t raw_mp_unpack_memory(const void *data, size_t len)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    struct mallinfo2 a = mallinfo2();
    int ok = msgpack_unpack_next(&u, data, len, &off) == MSGPACK_UNPACK_SUCCESS;
    struct mallinfo2 b = mallinfo2();
    msgpack_unpacked_destroy(&u);
    return ok ? (b.uordblks + b.hblkhd) - (a.uordblks + a.hblkhd) : 0;
#else
    (void)data;
    (void)len;
    return 0;
#endif
}

raw_mp_tree *raw_mp_tree_new(const void *data, size_t len)
{
    raw_mp_tree *t = malloc(sizeof *t);
    size_t off = 0;
    if (!t)
        return NULL;
    msgpack_unpacked_init(&t->unpacked);
    if (msgpack_unpack_next(&t->unpacked, data, len, &off) != MSGPACK_UNPACK_SUCCESS) {
        raw_mp_tree_free(t);
        return NULL;
    }
    return t;
}

int raw_mp_pack(const raw_mp_tree *t, size_t *out_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_object(&pk, t->unpacked.data);
    *out_len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

void raw_mp_tree_free(raw_mp_tree *t)
{
    if (!t)
        return;
    msgpack_unpacked_destroy(&t->unpacked);
    free(t);
}

/* ---- cJSON -------------------------------------------------------------- */

int raw_cj_parse(const char *text)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        return 1;
    cJSON_Delete(root);
    return 0;
}

raw_cj_tree *raw_cj_tree_new(const char *text)
{
    raw_cj_tree *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    if (!(t->root = cJSON_Parse(text))) {
        free(t);
        return NULL;
    }
    return t;
}

int raw_cj_print(const raw_cj_tree *t, size_t *out_len)
{
    char *text = cJSON_PrintUnformatted(t->root);
    if (!text)
        return 1;
    *out_len = strlen(text);
    cJSON_free(text);
    return 0;
}

void raw_cj_tree_free(raw_cj_tree *t)
{
    if (!t)
        return;
    cJSON_Delete(t->root);
    free(t);
}

size_t raw_cj_parse_peak(const char *text)
{
    /* cJSON's hooks take malloc and free only (it then avoids realloc), so
     * they are installed just for this one parse. */
    cJSON_Hooks hooks = {bench_mem_malloc, bench_mem_free};
    cJSON_InitHooks(&hooks);
    bench_mem_mark();
    cJSON *root = cJSON_Parse(text);
    size_t peak = bench_mem_peak();
    cJSON_Delete(root);
    cJSON_InitHooks(NULL);
    return root ? peak : 0;
}

/* ---- json -> msgpack: cJSON_Parse, then pack the tree ------------------- */

/* A number as the naive route sees it: cJSON keeps only a double, so ints
 * beyond 2^53 (twitter's ids) are already rounded. Integral values are
 * packed as ints, like the JSON they came from. */
static void pack_number(msgpack_packer *pk, double d)
{
    if (d == (double)(int64_t)d && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        msgpack_pack_int64(pk, (int64_t)d);
    else if (d >= 0 && d < 18446744073709551616.0 && d == (double)(uint64_t)d)
        msgpack_pack_uint64(pk, (uint64_t)d);
    else
        msgpack_pack_double(pk, d);
}

typedef struct cj_frame {
    const cJSON *next; /* the next child to write */
    int in_object;     /* children carry keys */
} cj_frame;

static int pack_cjson(msgpack_packer *pk, const cJSON *root)
{
    stack st = {NULL, 0, 0, sizeof(cj_frame)};
    cj_frame *f = stack_push(&st);
    int rc = 0;
    if (!f)
        return 1;
    f->next = root;
    f->in_object = 0;
    while (st.count > 0) {
        f = stack_top(&st);
        const cJSON *n = f->next;
        if (!n) {
            st.count--;
            continue;
        }
        f->next = n->next;
        if (f->in_object) {
            size_t klen = strlen(n->string);
            msgpack_pack_str(pk, klen);
            msgpack_pack_str_body(pk, n->string, klen);
        }
        if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
            int count = cJSON_GetArraySize(n);
            if (cJSON_IsArray(n))
                msgpack_pack_array(pk, (size_t)count);
            else
                msgpack_pack_map(pk, (size_t)count);
            cj_frame *child = stack_push(&st);
            if (!child) {
                rc = 1;
                break;
            }
            child->next = n->child;
            child->in_object = cJSON_IsObject(n);
        } else if (cJSON_IsString(n)) {
            size_t slen = strlen(n->valuestring);
            msgpack_pack_str(pk, slen);
            msgpack_pack_str_body(pk, n->valuestring, slen);
        } else if (cJSON_IsNumber(n)) {
            pack_number(pk, n->valuedouble);
        } else if (cJSON_IsTrue(n)) {
            msgpack_pack_true(pk);
        } else if (cJSON_IsFalse(n)) {
            msgpack_pack_false(pk);
        } else if (cJSON_IsNull(n)) {
            msgpack_pack_nil(pk);
        } else {
            rc = 1;
            break;
        }
    }
    free(st.items);
    return rc;
}

int raw_json_to_msgpack(const char *text, size_t *out_len)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        return 1;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = pack_cjson(&pk, root);
    *out_len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    cJSON_Delete(root);
    return rc;
}

/* ---- msgpack -> json: unpack, build a cJSON tree, print it -------------- */

/* cJSON wants NUL-terminated strings: the naive route copies each one. */
typedef struct cstr {
    char *ptr;
    size_t cap;
} cstr;

static const char *cstr_set(cstr *c, const char *s, size_t len)
{
    if (len + 1 > c->cap) {
        size_t cap = len + 1 > 2 * c->cap ? len + 1 : 2 * c->cap;
        char *grown = realloc(c->ptr, cap);
        if (!grown)
            return NULL;
        c->ptr = grown;
        c->cap = cap;
    }
    memcpy(c->ptr, s, len);
    c->ptr[len] = '\0';
    return c->ptr;
}

/* A cJSON node for o; containers come back empty. */
static cJSON *cj_node(const msgpack_object *o, cstr *tmp)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return cJSON_CreateNull();
    case MSGPACK_OBJECT_BOOLEAN: return cJSON_CreateBool(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return cJSON_CreateNumber((double)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return cJSON_CreateNumber((double)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return cJSON_CreateNumber(o->via.f64);
    case MSGPACK_OBJECT_STR: {
        const char *s = cstr_set(tmp, o->via.str.ptr, o->via.str.size);
        return s ? cJSON_CreateString(s) : NULL;
    }
    case MSGPACK_OBJECT_ARRAY: return cJSON_CreateArray();
    case MSGPACK_OBJECT_MAP: return cJSON_CreateObject();
    default: return NULL; /* bin and ext have no JSON form on this route */
    }
}

typedef struct mp_frame {
    const msgpack_object *obj; /* an array or a map */
    uint32_t next;             /* index of the next element or entry */
    cJSON *node;               /* the cJSON container being filled */
} mp_frame;

static cJSON *build_cjson(const msgpack_object *root)
{
    cstr tmp = {NULL, 0};
    stack st = {NULL, 0, 0, sizeof(mp_frame)};
    cJSON *top = cj_node(root, &tmp);
    int ok = top != NULL;
    if (ok && (root->type == MSGPACK_OBJECT_ARRAY || root->type == MSGPACK_OBJECT_MAP)) {
        mp_frame *f = stack_push(&st);
        if (f)
            *f = (mp_frame){root, 0, top};
        ok = f != NULL;
    }
    while (ok && st.count > 0) {
        mp_frame *f = stack_top(&st);
        const msgpack_object *child, *key = NULL;
        if (f->obj->type == MSGPACK_OBJECT_ARRAY) {
            if (f->next == f->obj->via.array.size) {
                st.count--;
                continue;
            }
            child = &f->obj->via.array.ptr[f->next++];
        } else {
            if (f->next == f->obj->via.map.size) {
                st.count--;
                continue;
            }
            key = &f->obj->via.map.ptr[f->next].key;
            child = &f->obj->via.map.ptr[f->next++].val;
            if (key->type != MSGPACK_OBJECT_STR) {
                ok = 0;
                break;
            }
        }
        cJSON *parent = f->node;
        cJSON *item = cj_node(child, &tmp);
        if (!item) {
            ok = 0;
            break;
        }
        if (key) {
            const char *k = cstr_set(&tmp, key->via.str.ptr, key->via.str.size);
            ok = k && cJSON_AddItemToObject(parent, k, item);
        } else {
            ok = cJSON_AddItemToArray(parent, item);
        }
        if (!ok) {
            cJSON_Delete(item);
            break;
        }
        if (child->type == MSGPACK_OBJECT_ARRAY || child->type == MSGPACK_OBJECT_MAP) {
            mp_frame *g = stack_push(&st);
            if (!g) {
                ok = 0;
                break;
            }
            *g = (mp_frame){child, 0, item};
        }
    }
    free(st.items);
    free(tmp.ptr);
    if (!ok) {
        cJSON_Delete(top);
        return NULL;
    }
    return top;
}

int raw_msgpack_to_json(const void *data, size_t len, size_t *out_len)
{
    msgpack_unpacked u;
    size_t off = 0;
    int rc = 1;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, data, len, &off) == MSGPACK_UNPACK_SUCCESS) {
        cJSON *root = build_cjson(&u.data);
        if (root) {
            char *text = cJSON_PrintUnformatted(root);
            if (text) {
                *out_len = strlen(text);
                cJSON_free(text);
                rc = 0;
            }
            cJSON_Delete(root);
        }
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

void raw_versions(char *buf, size_t cap)
{
    snprintf(buf, cap, "msgpack-c %s, cJSON %s", msgpack_version(), cJSON_Version());
}
