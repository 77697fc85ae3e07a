/*
 * LD_PRELOAD stand-in for /dev/i2c-N: the real i2c-tools (i2cdetect, i2cget,
 * i2cset, i2cdump, i2ctransfer), smbus2 and any program using the Linux
 * i2c-dev interface talk to a simulated bus served by
 * `python -m tools.packaging.i2csim serve` over a unix socket.
 *
 *   I2CSIM_SOCKET=/path/to/socket  (required)     I2CSIM_BUS=N  (default 1)
 *
 * open("/dev/i2c-N") connects to the socket and returns the socket's fd.
 * ioctl(I2C_FUNCS, I2C_SLAVE(_FORCE), I2C_SMBUS, I2C_RDWR, I2C_TIMEOUT,
 * I2C_RETRIES, I2C_PEC) and read()/write() on that fd become messages: every
 * transaction, SMBus ones included, is sent as the list of I2C messages the
 * kernel would put on the wire; the server answers with a status and the
 * bytes read.  Each exchange is bounded by a 10 s socket timeout.
 *
 * I2C_PEC (SMBus Packet Error Checking) behaves as Linux's emulation of SMBus
 * over plain I2C messages: CRC-8 (polynomial 0x07, initial 0) over each
 * message's address byte (with its R/W bit) and data bytes; a transaction
 * ending in a write gets the PEC byte appended, one ending in a read reads one
 * byte more and fails with EBADMSG when it does not match.  Quick commands and
 * I2C block transfers carry no PEC.  I2C_RDWR and read()/write() are not
 * affected by it, as in Linux.
 *
 * Wire format (little-endian):
 *   request:  u32 'I2CS', u32 n; n times { u16 addr, u16 flags, u16 len,
 *             len data bytes if a write }   flags: 1 read, 2 first byte is
 *             the length (SMBus block read; len then is 1, or 2 when one
 *             byte, the PEC, follows the block)
 *   reply:    i32 status (0 or -errno); then for each read message
 *             { u16 len, len bytes }
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>

#define MAX_FD 1024
#define MAX_MSGS 42          /* I2C_RDRW_IOCTL_MAX_MSGS */
#define MAX_MSG_LEN 8192

static unsigned char is_ours[MAX_FD];
static uint16_t slave_addr[MAX_FD];
static unsigned char pec_on[MAX_FD];

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*close_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef ssize_t (*rw_fn)(int, void *, size_t);

static void *real(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "i2cshim: no %s in libc\n", name);
        abort();
    }
    return f;
}

static int ours(int fd) {
    return fd >= 0 && fd < MAX_FD && is_ours[fd];
}

/* "/dev/i2c-N" or "/dev/i2c/N" -> N, else -1 */
static int bus_number(const char *path) {
    const char *p;
    if (!path) {
        return -1;
    }
    if (strncmp(path, "/dev/i2c-", 9) == 0) {
        p = path + 9;
    } else if (strncmp(path, "/dev/i2c/", 9) == 0) {
        p = path + 9;
    } else {
        return -1;
    }
    if (*p < '0' || *p > '9') {
        return -1;
    }
    char *end;
    long n = strtol(p, &end, 10);
    return *end ? -1 : (int)n;
}

static int open_bus(const char *path, int *handled) {
    int n = bus_number(path);
    *handled = n >= 0;
    if (n < 0) {
        return -1;
    }
    const char *want = getenv("I2CSIM_BUS");
    const char *sock = getenv("I2CSIM_SOCKET");
    if ((want ? atoi(want) : 1) != n || !sock) {
        errno = ENOENT;
        return -1;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(sock) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || fd >= MAX_FD) {
        int e = errno;
        ((close_fn)real("close"))(fd);
        errno = fd >= MAX_FD ? EMFILE : (e == ECONNREFUSED || e == ENOENT ? ENOENT : e);
        return -1;
    }
    is_ours[fd] = 1;
    slave_addr[fd] = 0;
    pec_on[fd] = 0;
    return fd;
}

/* ---- open / close ------------------------------------------------------------ */
#define OPEN_WRAPPER(name) \
    int name(const char *path, int flags, ...) { \
        int handled; \
        int fd = open_bus(path, &handled); \
        if (handled) { \
            return fd; \
        } \
        va_list ap; \
        va_start(ap, flags); \
        int mode = va_arg(ap, int); \
        va_end(ap); \
        return ((open_fn)real(#name))(path, flags, mode); \
    }
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

#define OPENAT_WRAPPER(name) \
    int name(int dirfd, const char *path, int flags, ...) { \
        int handled; \
        int fd = open_bus(path, &handled); \
        if (handled) { \
            return fd; \
        } \
        va_list ap; \
        va_start(ap, flags); \
        int mode = va_arg(ap, int); \
        va_end(ap); \
        return ((openat_fn)real(#name))(dirfd, path, flags, mode); \
    }
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

int __open_2(const char *path, int flags) {
    return open(path, flags);
}
int __open64_2(const char *path, int flags) {
    return open64(path, flags);
}

int close(int fd) {
    if (ours(fd)) {
        is_ours[fd] = 0;
    }
    return ((close_fn)real("close"))(fd);
}

/* ---- one exchange with the server ---------------------------------------------- */
static int send_all(int fd, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int recv_all(int fd, void *buf, size_t n) {
    uint8_t *p = buf;
    while (n) {
        ssize_t k = recv(fd, p, n, 0);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* msgs as the kernel's struct i2c_msg; for I2C_M_RECV_LEN the caller gives
 * a buffer of at least 1 + I2C_SMBUS_BLOCK_MAX bytes and gets len updated. */
static int exchange(int fd, struct i2c_msg *msgs, int n) {
    if (n < 1 || n > MAX_MSGS) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < n; i++) {  /* all checked before a byte goes out */
        if (msgs[i].len > MAX_MSG_LEN || (msgs[i].flags & I2C_M_TEN) ||
            ((msgs[i].flags & I2C_M_RECV_LEN) &&
             (!(msgs[i].flags & I2C_M_RD) || msgs[i].len < 1 || msgs[i].len > 2))) {
            errno = EINVAL;
            return -1;
        }
    }
    uint8_t head[8];
    uint32_t magic = 0x53433249u, count = (uint32_t)n;  /* "I2CS" */
    memcpy(head, &magic, 4);
    memcpy(head + 4, &count, 4);
    if (send_all(fd, head, 8) < 0) {
        errno = EIO;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int rd = (msgs[i].flags & I2C_M_RD) != 0;
        uint16_t m[3] = {msgs[i].addr,
                         (uint16_t)(rd | ((msgs[i].flags & I2C_M_RECV_LEN) ? 2 : 0)),
                         msgs[i].len};
        if (send_all(fd, m, sizeof m) < 0 || (!rd && msgs[i].len &&
                                              send_all(fd, msgs[i].buf, msgs[i].len) < 0)) {
            errno = EIO;
            return -1;
        }
    }
    int32_t status;
    if (recv_all(fd, &status, 4) < 0) {
        errno = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : EIO;
        return -1;
    }
    if (status < 0) {
        errno = -status;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (!(msgs[i].flags & I2C_M_RD)) {
            continue;
        }
        uint16_t len;
        if (recv_all(fd, &len, 2) < 0) {
            errno = EIO;
            return -1;
        }
        /* a block read's len is what it reads besides the block: the count
         * byte (and the PEC); its buffer has I2C_SMBUS_BLOCK_MAX bytes more */
        uint16_t room = (msgs[i].flags & I2C_M_RECV_LEN) ? msgs[i].len + I2C_SMBUS_BLOCK_MAX
                                                         : msgs[i].len;
        for (uint16_t k = 0; k < len; k++) {
            uint8_t b;
            if (recv_all(fd, &b, 1) < 0) {
                errno = EIO;
                return -1;
            }
            if (k < room) {
                msgs[i].buf[k] = b;
            }
        }
        if (msgs[i].flags & I2C_M_RECV_LEN) {
            msgs[i].len = len < room ? len : room;
        }
    }
    return n;
}

/* ---- SMBus PEC: CRC-8, x^8 + x^2 + x + 1, initial 0, MSB first --------------------- */
static uint8_t crc8(uint8_t crc, const uint8_t *p, size_t n) {
    while (n--) {
        crc ^= *p++;
        for (int b = 0; b < 8; b++) {
            crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
        }
    }
    return crc;
}

/* crc continued over a message as it goes on the wire: address byte, data */
static uint8_t msg_pec(uint8_t crc, const struct i2c_msg *m) {
    uint8_t a = (uint8_t)(m->addr << 1 | ((m->flags & I2C_M_RD) ? 1 : 0));
    return crc8(crc8(crc, &a, 1), m->buf, m->len);
}

/* ---- SMBus as I2C messages, as the kernel's emulation does ----------------------- */
static int smbus(int fd, struct i2c_smbus_ioctl_data *a) {
    uint16_t addr = slave_addr[fd];
    uint8_t w[2 + I2C_SMBUS_BLOCK_MAX + 1];   /* command, count, block, PEC */
    uint8_t r[1 + I2C_SMBUS_BLOCK_MAX + 1];   /* count, block, PEC */
    struct i2c_msg m[2] = {{addr, 0, 1, w}, {addr, I2C_M_RD, 0, r}};
    int n = 2;
    int rd = a->read_write == I2C_SMBUS_READ;
    union i2c_smbus_data *d = a->data;
    w[0] = a->command;
    switch (a->size) {
        case I2C_SMBUS_QUICK:
            m[0].len = 0;
            m[0].flags = rd ? I2C_M_RD : 0;
            n = 1;
            break;
        case I2C_SMBUS_BYTE:
            if (rd) {
                m[0] = m[1];
                m[0].len = 1;
            }
            n = 1;
            break;
        case I2C_SMBUS_BYTE_DATA:
            if (rd) {
                m[1].len = 1;
            } else {
                w[1] = d->byte;
                m[0].len = 2;
                n = 1;
            }
            break;
        case I2C_SMBUS_WORD_DATA:
        case I2C_SMBUS_PROC_CALL:
            if (rd && a->size == I2C_SMBUS_WORD_DATA) {
                m[1].len = 2;
            } else {
                w[1] = d->word & 0xFF;
                w[2] = d->word >> 8;
                m[0].len = 3;
                if (a->size == I2C_SMBUS_PROC_CALL) {
                    m[1].len = 2;
                } else {
                    n = 1;
                }
            }
            break;
        case I2C_SMBUS_BLOCK_DATA:
        case I2C_SMBUS_BLOCK_PROC_CALL:
            if (rd && a->size == I2C_SMBUS_BLOCK_DATA) {
                m[1].flags |= I2C_M_RECV_LEN;
                m[1].len = 1;
            } else {
                if (d->block[0] > I2C_SMBUS_BLOCK_MAX) {
                    errno = EINVAL;
                    return -1;
                }
                memcpy(w + 1, d->block, d->block[0] + 1u);
                m[0].len = d->block[0] + 2u;
                if (a->size == I2C_SMBUS_BLOCK_PROC_CALL) {
                    m[1].flags |= I2C_M_RECV_LEN;
                    m[1].len = 1;
                } else {
                    n = 1;
                }
            }
            break;
        case I2C_SMBUS_I2C_BLOCK_BROKEN:
        case I2C_SMBUS_I2C_BLOCK_DATA:
            if (d->block[0] > I2C_SMBUS_BLOCK_MAX) {
                errno = EINVAL;
                return -1;
            }
            if (rd) {
                /* the old (broken) call always reads 32 bytes, as Linux's i2c-dev */
                m[1].len = a->size == I2C_SMBUS_I2C_BLOCK_BROKEN ? I2C_SMBUS_BLOCK_MAX
                                                                : d->block[0];
            } else {
                memcpy(w + 1, d->block + 1, d->block[0]);
                m[0].len = d->block[0] + 1u;
                n = 1;
            }
            break;
        default:
            errno = EOPNOTSUPP;
            return -1;
    }
    int with_pec = pec_on[fd] && a->size != I2C_SMBUS_QUICK &&
                   a->size != I2C_SMBUS_I2C_BLOCK_DATA && a->size != I2C_SMBUS_I2C_BLOCK_BROKEN;
    uint8_t partial = 0;
    if (with_pec) {
        if (!(m[0].flags & I2C_M_RD)) {
            if (n == 1) {                  /* write only: the PEC goes out last */
                w[m[0].len] = msg_pec(0, &m[0]);
                m[0].len++;
            } else {                       /* write, then read: the CRC runs on */
                partial = msg_pec(0, &m[0]);
            }
        }
        if (m[n - 1].flags & I2C_M_RD) {
            m[n - 1].len++;                /* one byte more: the device's PEC */
        }
    }
    if (exchange(fd, m, n) < 0) {
        return -1;
    }
    if (with_pec && (m[n - 1].flags & I2C_M_RD)) {
        struct i2c_msg *last = &m[n - 1];
        if (last->len < 1) {
            errno = EPROTO;
            return -1;
        }
        last->len--;
        if (last->buf[last->len] != msg_pec(partial, last)) {
            errno = EBADMSG;
            return -1;
        }
    }
    if (!rd && a->size != I2C_SMBUS_PROC_CALL && a->size != I2C_SMBUS_BLOCK_PROC_CALL) {
        return 0;
    }
    switch (a->size) {
        case I2C_SMBUS_QUICK:
            break;
        case I2C_SMBUS_BYTE:
            d->byte = r[0];
            break;
        case I2C_SMBUS_BYTE_DATA:
            d->byte = r[0];
            break;
        case I2C_SMBUS_WORD_DATA:
        case I2C_SMBUS_PROC_CALL:
            d->word = (uint16_t)(r[0] | r[1] << 8);
            break;
        case I2C_SMBUS_BLOCK_DATA:
        case I2C_SMBUS_BLOCK_PROC_CALL:
            if (m[1].len < 1 || r[0] > I2C_SMBUS_BLOCK_MAX || r[0] + 1u > m[1].len) {
                errno = EPROTO;
                return -1;
            }
            memcpy(d->block, r, r[0] + 1u);
            break;
        default:  /* I2C block read: block[0] is the count asked for */
            d->block[0] = (uint8_t)m[1].len;
            memcpy(d->block + 1, r, m[1].len);
            break;
    }
    return 0;
}

/* I2C_RDWR: an I2C_M_RECV_LEN message says in buf[0] how many bytes it reads
 * besides the block (1, or 2 with a PEC) and has room for 32 more (Linux's
 * i2c-dev rule); the caller's message array is left as it was. */
static int rdwr(int fd, struct i2c_rdwr_ioctl_data *rw) {
    struct i2c_msg m[MAX_MSGS];
    if (rw->nmsgs < 1 || rw->nmsgs > MAX_MSGS) {
        errno = EINVAL;
        return -1;
    }
    for (unsigned i = 0; i < rw->nmsgs; i++) {
        m[i] = rw->msgs[i];
        if (m[i].flags & I2C_M_RECV_LEN) {
            if (!(m[i].flags & I2C_M_RD) || m[i].len < 1 || m[i].buf[0] < 1 ||
                m[i].len < m[i].buf[0] + I2C_SMBUS_BLOCK_MAX) {
                errno = EINVAL;
                return -1;
            }
            m[i].len = m[i].buf[0];
        }
    }
    return exchange(fd, m, (int)rw->nmsgs);
}

int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!ours(fd)) {
        return ((ioctl_fn)real("ioctl"))(fd, request, arg);
    }
    unsigned long value = (unsigned long)arg;
    switch (request) {
        case I2C_FUNCS:
            *(unsigned long *)arg = I2C_FUNC_I2C | I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE |
                I2C_FUNC_SMBUS_BYTE_DATA | I2C_FUNC_SMBUS_WORD_DATA | I2C_FUNC_SMBUS_PROC_CALL |
                I2C_FUNC_SMBUS_BLOCK_DATA | I2C_FUNC_SMBUS_BLOCK_PROC_CALL |
                I2C_FUNC_SMBUS_I2C_BLOCK | I2C_FUNC_SMBUS_PEC;
            return 0;
        case I2C_SLAVE:
        case I2C_SLAVE_FORCE:
            if (value > 0x7F) {
                errno = EINVAL;
                return -1;
            }
            slave_addr[fd] = (uint16_t)value;
            return 0;
        case I2C_TENBIT:
            if (value) {
                errno = EINVAL;  /* 7-bit addresses only */
                return -1;
            }
            return 0;
        case I2C_RETRIES:
        case I2C_TIMEOUT:
            return 0;
        case I2C_PEC:
            pec_on[fd] = value != 0;
            return 0;
        case I2C_SMBUS:
            return smbus(fd, (struct i2c_smbus_ioctl_data *)arg);
        case I2C_RDWR:
            return rdwr(fd, arg);
        default:
            errno = ENOTTY;
            return -1;
    }
}

/* plain read()/write(): one I2C message to the I2C_SLAVE address */
ssize_t read(int fd, void *buf, size_t n) {
    if (!ours(fd)) {
        return ((rw_fn)real("read"))(fd, buf, n);
    }
    struct i2c_msg m = {slave_addr[fd], I2C_M_RD, (uint16_t)(n > MAX_MSG_LEN ? MAX_MSG_LEN : n),
                        buf};
    return exchange(fd, &m, 1) < 0 ? -1 : (ssize_t)m.len;
}

ssize_t write(int fd, const void *buf, size_t n) {
    if (!ours(fd)) {
        return ((ssize_t (*)(int, const void *, size_t))real("write"))(fd, buf, n);
    }
    struct i2c_msg m = {slave_addr[fd], 0, (uint16_t)(n > MAX_MSG_LEN ? MAX_MSG_LEN : n),
                        (uint8_t *)buf};
    return exchange(fd, &m, 1) < 0 ? -1 : (ssize_t)m.len;
}
