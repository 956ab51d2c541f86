package dev.polystore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardingStorageBackendTest {
    /** Methods a layer deliberately does not pass on unless it decides to (see their Javadoc). */
    private static final java.util.Set<String> NOT_PASSED_ON = java.util.Set.of("nativeHandles", "indexAccelerator");

    @Test
    void everyBackendMethodIsForwarded() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Method m : StorageBackend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            Method declared = ForwardingStorageBackend.class.getMethod(m.getName(), m.getParameterTypes());
            if (declared.getDeclaringClass() != ForwardingStorageBackend.class) {
                missing.add(m.getName());
            }
        }
        assertTrue(missing.isEmpty(), "ForwardingStorageBackend does not forward " + missing
                + ": a layer over a backend would silently lose these methods");
    }

    @Test
    void callsReachTheDelegate() throws Exception {
        List<String> calls = new ArrayList<>();
        StorageBackend recorder = (StorageBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {StorageBackend.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    return method.getReturnType() == String.class ? "recorded"
                            : method.getReturnType() == int.class ? 0 : null;
                });
        ForwardingStorageBackend layer = new ForwardingStorageBackend(recorder) {
        };
        int expected = 0;
        for (Method m : StorageBackend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || NOT_PASSED_ON.contains(m.getName())) {
                continue;
            }
            Object[] args = new Object[m.getParameterCount()];
            Class<?>[] types = m.getParameterTypes();
            for (int i = 0; i < args.length; i++) {
                if (types[i] == int.class) {
                    args[i] = 0; // primitives cannot be null (scanSegments' segment count)
                } else if (types[i] == long.class) {
                    args[i] = 0L;
                } else if (types[i] == boolean.class) {
                    args[i] = false;
                }
            }
            m.invoke(layer, args);
            expected++;
            assertEquals(m.getName(), calls.get(calls.size() - 1), "the layer did not pass " + m.getName() + " on");
        }
        assertEquals(expected, calls.size());
    }

    @Test
    void nativeHandlesAreHiddenUnlessTheLayerPassesThemOn() {
        StorageBackend inner = (StorageBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {StorageBackend.class}, (proxy, method, args) ->
                        method.getName().equals("nativeHandles") ? java.util.Map.of(CharSequence.class, "client") : null);
        ForwardingStorageBackend hiding = new ForwardingStorageBackend(inner) {
        };
        assertTrue(hiding.nativeHandles().isEmpty(), "a layer must not hand out the engine's client by default");
        ForwardingStorageBackend passing = new ForwardingStorageBackend(inner) {
            @Override
            public java.util.Map<Class<?>, Object> nativeHandles() {
                return delegate().nativeHandles();
            }
        };
        assertEquals(java.util.Map.of(CharSequence.class, "client"), passing.nativeHandles());
    }

    @Test
    void indexAcceleratorIsHiddenWithItsCapabilityUnlessTheLayerPassesItOn() {
        IndexAccelerator accelerator = (IndexAccelerator) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {IndexAccelerator.class}, (proxy, method, args) -> null);
        dev.polystore.Capabilities caps = dev.polystore.Capabilities.builder().transactions(100, 4_000_000)
                .nativeIndexes().build();
        StorageBackend inner = (StorageBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {StorageBackend.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "capabilities" -> caps;
                    case "indexAccelerator" -> java.util.Optional.of(accelerator);
                    default -> null;
                });
        ForwardingStorageBackend hiding = new ForwardingStorageBackend(inner) {
        };
        assertTrue(hiding.indexAccelerator().isEmpty(), "a layer must not hand out an accelerator that writes around it");
        assertTrue(!hiding.capabilities().has(dev.polystore.Capability.NATIVE_INDEXES),
                "a layer hiding the accelerator must not declare NATIVE_INDEXES");
        assertTrue(hiding.capabilities().has(dev.polystore.Capability.TRANSACTIONS));
        ForwardingStorageBackend passing = new ForwardingStorageBackend(inner) {
            @Override
            public java.util.Optional<IndexAccelerator> indexAccelerator() {
                return delegate().indexAccelerator();
            }
        };
        assertEquals(java.util.Optional.of(accelerator), passing.indexAccelerator());
        assertTrue(passing.capabilities().has(dev.polystore.Capability.NATIVE_INDEXES));
    }
}
