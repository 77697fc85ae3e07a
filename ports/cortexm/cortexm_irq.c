/*
 * Cortex-M vector table and NVIC services (see cortexm_irq.h).
 *
 * Each step is written once, as an always-inline body; the public functions
 * are thin wrappers, and cortexm_irq_attach / cortexm_irq_detach (what the
 * drivers call) inline every step, so a driver pays one call per line.  The
 * linker drops whichever wrappers a driver does not use.
 */
#include "cortexm_irq.h"

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define NVIC_WORD(reg, irq) ((reg) + 4u * ((irq) >> 5))
#define NVIC_BIT(irq) (1u << ((irq) & 31u))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* One block, so each function reaches all of it from one address. */
static struct {
    uint32_t *table;        /* the table we patch: our copy or a RAM table */
    uint32_t vtor_before;   /* VTOR at the first claim */
    uint32_t users;         /* claims not yet released */
} vectors;

ALWAYS_INLINE void vectors_claim(const cortexm_vector_layout_t *layout) {
    if (vectors.users++ != 0) {
        return;
    }
    uint32_t vtor = REG32(CORTEXM_SCB_VTOR);
    vectors.vtor_before = vtor;
    if (vtor >= layout->ram_first && vtor <= layout->ram_last) {
        vectors.table = (uint32_t *)(uintptr_t)vtor;    /* RAM: patch in place */
        return;
    }
    /* Flash or ROM: copy into the aligned part of the space and switch. */
    uintptr_t align = layout->align;
    uint32_t *copy = (uint32_t *)(((uintptr_t)layout->space + align - 1u) & ~(align - 1u));
    const uint32_t *from = (const uint32_t *)(uintptr_t)vtor;
    for (unsigned i = 0; i < layout->count; i++) {
        copy[i] = from[i];
    }
    cortexm_barrier();
    REG32(CORTEXM_SCB_VTOR) = (uint32_t)(uintptr_t)copy;
    cortexm_barrier();
    vectors.table = copy;
}

ALWAYS_INLINE void vectors_release(void) {
    if (vectors.users == 0) {
        return;
    }
    vectors.users--;
    /* The last user, our copy (the table is not where VTOR was) and VTOR
     * still on it: switch back. */
    uint32_t ours = (uint32_t)(uintptr_t)vectors.table;
    if (vectors.users == 0 && ours != vectors.vtor_before && REG32(CORTEXM_SCB_VTOR) == ours) {
        REG32(CORTEXM_SCB_VTOR) = vectors.vtor_before;
        cortexm_barrier();
    }
}

ALWAYS_INLINE uint32_t vector_swap(unsigned irq, uint32_t entry) {
    uint32_t *slot = &vectors.table[CORTEXM_SYSTEM_VECTORS + irq];
    uint32_t before = *slot;
    *slot = entry;
    cortexm_barrier();
    return before;
}

ALWAYS_INLINE void nvic_set_priority(unsigned irq, uint8_t priority) {
    /* Word access: ARMv6-M has no byte access to IPR. */
    uint32_t addr = CORTEXM_NVIC_IPR + (irq & ~3u);
    unsigned shift = (irq & 3u) * 8u;
    REG32(addr) = (REG32(addr) & ~(0xFFu << shift)) | ((uint32_t)priority << shift);
}

ALWAYS_INLINE void nvic_enable(unsigned irq) {
    REG32(NVIC_WORD(CORTEXM_NVIC_ICPR, irq)) = NVIC_BIT(irq);
    REG32(NVIC_WORD(CORTEXM_NVIC_ISER, irq)) = NVIC_BIT(irq);
}

ALWAYS_INLINE void nvic_disable(unsigned irq) {
    REG32(NVIC_WORD(CORTEXM_NVIC_ICER, irq)) = NVIC_BIT(irq);
    cortexm_barrier();
    REG32(NVIC_WORD(CORTEXM_NVIC_ICPR, irq)) = NVIC_BIT(irq);
}

void cortexm_vectors_claim(const cortexm_vector_layout_t *layout) {
    vectors_claim(layout);
}

void cortexm_vectors_release(void) {
    vectors_release();
}

uint32_t cortexm_vector_patch(unsigned irq, cortexm_handler_t handler) {
    return vector_swap(irq, (uint32_t)(uintptr_t)handler);
}

void cortexm_vector_restore(unsigned irq, uint32_t saved) {
    (void)vector_swap(irq, saved);
}

void cortexm_nvic_set_priority(unsigned irq, uint8_t priority) {
    nvic_set_priority(irq, priority);
}

void cortexm_nvic_enable(unsigned irq) {
    nvic_enable(irq);
}

void cortexm_nvic_disable(unsigned irq) {
    nvic_disable(irq);
}

uint32_t cortexm_irq_attach(const cortexm_vector_layout_t *layout, unsigned irq,
    cortexm_handler_t handler, uint8_t priority) {
    vectors_claim(layout);
    uint32_t saved = vector_swap(irq, (uint32_t)(uintptr_t)handler);
    nvic_set_priority(irq, priority);
    nvic_enable(irq);
    return saved;
}

void cortexm_irq_detach(unsigned irq, uint32_t saved) {
    nvic_disable(irq);
    (void)vector_swap(irq, saved);
    vectors_release();
}
