package org.ratesim.sim;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;

/**
 * Selects the kernel set once per JVM: the SIMD kernels when the Vector API module is present and the hardware is
 * wide enough, the scalar kernels otherwise.
 *
 * <p>{@code -Dratesim.simd=auto} (default) picks SIMD when possible and otherwise prints once on stderr how to
 * enable it; {@code off} forces scalar; {@code on} fails when SIMD is unavailable. The SIMD class is loaded by name, so
 * nothing on the default path links against {@code jdk.incubator.vector}.
 */
public final class Kernels {

    static final String PANAMA_CLASS = "org.ratesim.sim.PanamaSpikeKernels";
    static final String ENABLE_HINT = "run java with --add-modules jdk.incubator.vector to enable SIMD kernels";

    private Kernels() {
    }

    private static final class Holder {
        static final SpikeKernels SELECTED = select(System.getProperty("ratesim.simd", "auto"));
    }

    /** Returns the kernel set chosen for this JVM. */
    public static SpikeKernels get() {
        return Holder.SELECTED;
    }

    /** Returns the scalar reference kernels. */
    public static SpikeKernels scalar() {
        return ScalarSpikeKernels.INSTANCE;
    }

    /** Returns the SIMD kernels, or null with the reason printed nowhere when they cannot be loaded. */
    public static SpikeKernels simdOrNull() {
        try {
            return loadPanama();
        } catch (UnsupportedOperationException | LinkageError | ReflectiveOperationException e) {
            return null;
        }
    }

    static SpikeKernels select(String mode) {
        String normalized = mode.toLowerCase(Locale.ROOT);
        switch (normalized) {
            case "off":
                return ScalarSpikeKernels.INSTANCE;
            case "on":
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("invalid -Dratesim.simd=" + mode + ": expected auto, off or on");
        }
        try {
            return loadPanama();
        } catch (UnsupportedOperationException | LinkageError | ReflectiveOperationException e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            if (normalized.equals("on")) {
                throw new IllegalStateException("SIMD kernels requested by -Dratesim.simd=on are unavailable: "
                        + reason + "; " + ENABLE_HINT);
            }
            System.err.println("ratesim: using scalar kernels (" + reason + "); " + ENABLE_HINT);
            return ScalarSpikeKernels.INSTANCE;
        }
    }

    /** Returns whether the boot layer contains the Vector API incubator module. */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static SpikeKernels loadPanama() throws ReflectiveOperationException {
        if (!vectorModulePresent()) {
            throw new UnsupportedOperationException("module jdk.incubator.vector is not loaded");
        }
        String vmInfo = System.getProperty("java.vm.info", "");
        if (vmInfo.contains("emulated-client") || vmInfo.contains("interpreted mode")) {
            throw new UnsupportedOperationException("the C2 compiler is off (" + vmInfo + ")");
        }
        Class<?> type = Class.forName(PANAMA_CLASS);
        try {
            return (SpikeKernels) MethodHandles.lookup()
                    .findConstructor(type, MethodType.methodType(void.class))
                    .invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot construct " + PANAMA_CLASS, e);
        }
    }
}
