/*
 * The C reference for the exit round-trip benchmark: the same guest and the same loop as
 * ExitRoundTripBenchmark, written directly against the KVM ioctls, so the Java/C ratio isolates
 * what Paddock's Java binding costs per exit.
 *
 * Guest (real mode at 0x1000):   mov dx, 0x10 ; 1: out dx, al ; jmp 1b
 * Each KVM_RUN returns one KVM_EXIT_IO on port 0x10; the "handler" checks it and resumes.
 *
 * Usage: exit_roundtrip [seconds-per-round] [rounds]   (defaults 2 and 5)
 * Output: one line per round "round N: X exits/s", then "median: X exits/s".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_MEM 0x10000
#define CODE_AT 0x1000
#define PORT 0x10

static void die(const char *what) {
    fprintf(stderr, "exit_roundtrip: %s failed: %s\n", what, strerror(errno));
    exit(2);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (seconds <= 0 || rounds <= 0 || rounds > 100) {
        fprintf(stderr, "usage: exit_roundtrip [seconds-per-round > 0] [rounds 1..100]\n");
        return 2;
    }
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    uint8_t *mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) die("mmap guest memory");
    static const uint8_t code[] = {0xBA, PORT, 0x00, 0xEE, 0xEB, 0xFD};
    memcpy(mem + CODE_AT, code, sizeof code);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM, .userspace_addr = (uint64_t)(uintptr_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < 0) die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = CODE_AT, .rflags = 0x2};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

    double rates[100];
    uint64_t sink = 0;
    for (int r = -1; r < rounds; r++) { /* round -1 warms up */
        uint64_t exits = 0;
        double start = now(), end = start + seconds, t;
        do {
            for (int i = 0; i < 1000; i++) {
                if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
                if (run->exit_reason != KVM_EXIT_IO || run->io.port != PORT || run->io.direction != KVM_EXIT_IO_OUT) {
                    fprintf(stderr, "exit_roundtrip: unexpected exit %u (port 0x%x)\n", run->exit_reason, run->io.port);
                    return 3;
                }
                sink += ((uint8_t *)run)[run->io.data_offset];
            }
            exits += 1000;
        } while ((t = now()) < end);
        if (r >= 0) {
            rates[r] = exits / (t - start);
            printf("round %d: %.0f exits/s\n", r, rates[r]);
        }
    }
    qsort(rates, rounds, sizeof rates[0], cmp);
    printf("median: %.0f exits/s\n", rates[rounds / 2]);
    return sink == 0xFFFFFFFFFFFFFFFFull; /* keeps the data read; never true */
}
