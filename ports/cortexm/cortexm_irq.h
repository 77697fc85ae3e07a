/*
 * Cortex-M interrupt plumbing shared by the chip drivers (SAMD, RP2, STM32):
 * a RAM vector table the drivers can patch, NVIC line control and the
 * PRIMASK critical section.  Written for ARMv6-M (Cortex-M0+: word access
 * to the priority registers only) and ARMv7-M / ARMv7E-M alike.
 *
 * Everything is reached at the architecture's fixed addresses, so the object
 * works inside a native .mpy.  What differs per chip (how many vectors, how
 * the table must be aligned, where RAM is, the static block a copy lives in)
 * comes in a cortexm_vector_layout_t the driver owns.
 *
 * The table state is one per program: every driver in one module shares it,
 * and claim / release count the users.
 */
#ifndef I2CT_CORTEXM_IRQ_H
#define I2CT_CORTEXM_IRQ_H

#include <stdint.h>

/* System control space (the same on every Cortex-M profile). */
#define CORTEXM_SCB_VTOR    0xE000ED08u
#define CORTEXM_NVIC_ISER   0xE000E100u     /* set enable, 32 lines a word */
#define CORTEXM_NVIC_ICER   0xE000E180u     /* clear enable */
#define CORTEXM_NVIC_ISPR   0xE000E200u     /* set pending */
#define CORTEXM_NVIC_ICPR   0xE000E280u     /* clear pending */
#define CORTEXM_NVIC_IPR    0xE000E400u     /* priority, one byte a line */

/* Entries before external line 0: the stack pointer and 15 exceptions. */
#define CORTEXM_SYSTEM_VECTORS 16u

/* Words of static space a RAM copy of `count` vectors aligned to `align`
 * bytes needs: a natmod's BSS is only word aligned, so the block is
 * over-sized and the aligned table placed inside it. */
#define CORTEXM_VECTOR_SPACE_WORDS(count, align) ((count) + (align) / 4u)

typedef void (*cortexm_handler_t)(void);

/* A vector takes no argument, so each target slot needs its own entry
 * point: this defines one per slot (isr(&ports[t])) and the table
 * `target_handlers[I2CT_MAX_TARGETS]` of them. */
#define CORTEXM_TARGET_HANDLERS(isr, ports) \
    static void isr##_t0(void) { isr(&(ports)[0]); } \
    CORTEXM_TARGET_HANDLER_T1(isr, ports) \
    static const cortexm_handler_t target_handlers[I2CT_MAX_TARGETS] = { \
        isr##_t0, CORTEXM_TARGET_HANDLER_T1_ENTRY(isr) }
#if !defined(I2CT_MAX_TARGETS)
/* Not a driver (natmod/i2ct_glue.h not included): no per-target table. */
#elif I2CT_MAX_TARGETS > 2
#error "CORTEXM_TARGET_HANDLERS serves at most two target slots"
#elif I2CT_MAX_TARGETS > 1
#define CORTEXM_TARGET_HANDLER_T1(isr, ports) static void isr##_t1(void) { isr(&(ports)[1]); }
#define CORTEXM_TARGET_HANDLER_T1_ENTRY(isr) isr##_t1,
#else
#define CORTEXM_TARGET_HANDLER_T1(isr, ports)
#define CORTEXM_TARGET_HANDLER_T1_ENTRY(isr)
#endif

typedef struct {
    uint32_t *space;        /* CORTEXM_VECTOR_SPACE_WORDS(count, align) words */
    uint32_t ram_first;     /* VTOR in [ram_first, ram_last] is a RAM table: */
    uint32_t ram_last;      /*   patched in place; anywhere else it is copied */
    uint16_t count;         /* entries, system ones included */
    uint16_t align;         /* bytes: a power of two >= 4 * count, >= 128 */
} cortexm_vector_layout_t;

/* The first claim makes the table patchable: a table in RAM is used where it
 * is, one in flash or ROM is copied into layout->space and VTOR switched to
 * the copy.  Every claim needs a release; the last one switches VTOR back,
 * unless someone else moved VTOR meanwhile (their table stays). */
void cortexm_vectors_claim(const cortexm_vector_layout_t *layout);
void cortexm_vectors_release(void);

/* Point external line `irq` at `handler`; returns the entry it replaced (for
 * cortexm_vector_restore).  Only between claim and release. */
uint32_t cortexm_vector_patch(unsigned irq, cortexm_handler_t handler);
void cortexm_vector_restore(unsigned irq, uint32_t saved);

/* NVIC.  Priorities use word access (ARMv6-M has no byte access to IPR);
 * only the implemented top bits of `priority` are kept by the hardware. */
void cortexm_nvic_set_priority(unsigned irq, uint8_t priority);
void cortexm_nvic_enable(unsigned irq);     /* clears a stale pending bit first */
void cortexm_nvic_disable(unsigned irq);    /* and clears its pending bit */

static inline void cortexm_nvic_set_pending(unsigned irq) {
    *(volatile uint32_t *)(uintptr_t)(CORTEXM_NVIC_ISPR + 4u * (irq >> 5)) = 1u << (irq & 31u);
}

/* A line in one go: claim the table, patch the line's vector, set its
 * priority and enable it; returns the entry it replaced.  Detach is the way
 * back: disable, put the saved entry back, release the table.  (Each
 * attached line holds one claim.) */
uint32_t cortexm_irq_attach(const cortexm_vector_layout_t *layout, unsigned irq,
    cortexm_handler_t handler, uint8_t priority);
void cortexm_irq_detach(unsigned irq, uint32_t saved);

/* Data and instruction barrier: table and NVIC writes take effect before the
 * next instruction. */
static inline void cortexm_barrier(void) {
    __asm__ volatile ("dsb 0xF\n\tisb 0xF" ::: "memory");
}

/* Critical section: mask interrupts, returning the previous PRIMASK. */
static inline uint32_t cortexm_irq_save(void) {
    uint32_t primask;
    __asm__ volatile ("mrs %0, primask\n\tcpsid i" : "=r" (primask) :: "memory");
    return primask;
}

static inline void cortexm_irq_restore(uint32_t primask) {
    __asm__ volatile ("msr primask, %0" :: "r" (primask) : "memory");
}

#endif
