package io.lockstep.security;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MessageOrBuilder;
import io.lockstep.config.LimitSettings;
import io.lockstep.protocol.v1.Mutation;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The size bounds of one wire mutation, checked at the edge before the domain sees it: every
 * string field at most {@code max-string-length} characters, the base version vector at most
 * {@code max-version-vector-entries} entries, every other repeated field at most as long.
 *
 * <p>Walks the message by reflection, so a field added to the protocol is bounded without a
 * change here. Pure and thread-safe.
 */
public final class MutationLimits {
  private final LimitSettings limits;

  public MutationLimits(LimitSettings limits) {
    this.limits = limits;
  }

  /** Why {@code mutation} exceeds a bound, or empty when it does not. */
  public Optional<String> problem(Mutation mutation) {
    if (mutation.getBase().getCountersCount() > limits.maxVersionVectorEntries()) {
      return Optional.of("mutation " + Long.toUnsignedString(mutation.getCounter()) + ": base version vector has "
          + mutation.getBase().getCountersCount() + " entries, at most " + limits.maxVersionVectorEntries());
    }
    return Optional.ofNullable(walk(mutation, "mutation " + Long.toUnsignedString(mutation.getCounter()), 0));
  }

  private String walk(MessageOrBuilder message, String where, int depth) {
    if (depth > 8) {
      return where + ": nested too deeply";
    }
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      FieldDescriptor descriptor = field.getKey();
      String name = where + "." + descriptor.getName();
      if (descriptor.isRepeated()) {
        List<?> values = (List<?>) field.getValue();
        if (values.size() > limits.maxVersionVectorEntries()) {
          return name + " has " + values.size() + " entries, at most " + limits.maxVersionVectorEntries();
        }
        for (Object value : values) {
          String problem = check(descriptor, value, name, depth);
          if (problem != null) return problem;
        }
      } else {
        String problem = check(descriptor, field.getValue(), name, depth);
        if (problem != null) return problem;
      }
    }
    return null;
  }

  private String check(FieldDescriptor descriptor, Object value, String name, int depth) {
    if (value instanceof String text && text.length() > limits.maxStringLength()) {
      return name + " longer than " + limits.maxStringLength() + " characters: " + text.length();
    }
    if (descriptor.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      return walk((MessageOrBuilder) value, name, depth + 1);
    }
    return null;
  }
}
