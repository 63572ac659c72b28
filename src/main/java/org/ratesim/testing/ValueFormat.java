package org.ratesim.testing;

import org.ratesim.tensor.Tensor;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.StringJoiner;

/** Renders generated values for failure reports, including arrays inside records and collections. */
final class ValueFormat {

    /** Maximum length of a description in a report; a longer one is cut and ends with the count of characters cut. */
    static final int MAX_LENGTH = 4000;

    private ValueFormat() {
    }

    static String describe(Object value) {
        String text = render(value);
        if (text.length() <= MAX_LENGTH) {
            return text;
        }
        return text.substring(0, MAX_LENGTH) + "... (" + (text.length() - MAX_LENGTH) + " more characters)";
    }

    private static String render(Object value) {
        if (value == null) {
            return "null";
        }
        if (value.getClass().isArray()) {
            StringJoiner joiner = new StringJoiner(", ", "[", "]");
            int length = Array.getLength(value);
            for (int i = 0; i < length; i++) {
                joiner.add(render(Array.get(value, i)));
            }
            return joiner.toString();
        }
        if (value instanceof Tensor) {
            Tensor tensor = (Tensor) value;
            Object data = tensor.dtype() == Tensor.DType.I32 ? tensor.ints() : tensor.floats();
            return "Tensor " + tensor.dtype() + " shape " + render(tensor.shape()) + " data " + render(data);
        }
        if (value instanceof Collection) {
            StringJoiner joiner = new StringJoiner(", ", "[", "]");
            for (Object element : (Collection<?>) value) {
                joiner.add(render(element));
            }
            return joiner.toString();
        }
        if (value.getClass().isRecord()) {
            return renderRecord(value);
        }
        return String.valueOf(value);
    }

    /**
     * Renders a record as Name[component=value, ...]. Records declared inside tests are often private, so the
     * accessor is made accessible first. A record that still cannot be read falls back to its toString.
     */
    private static String renderRecord(Object record) {
        StringJoiner joiner = new StringJoiner(", ", record.getClass().getSimpleName() + "[", "]");
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            try {
                Method accessor = component.getAccessor();
                accessor.setAccessible(true);
                joiner.add(component.getName() + "=" + render(accessor.invoke(record)));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return String.valueOf(record);
            }
        }
        return joiner.toString();
    }
}
