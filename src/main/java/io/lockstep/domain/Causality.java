package io.lockstep.domain;

/**
 * How two version vectors relate: {@code a.compare(b)} is {@code BEFORE} when {@code a} happened
 * before {@code b} (b covers a and differs), {@code AFTER} for the reverse, {@code EQUAL} when they
 * are the same and {@code CONCURRENT} when neither covers the other.
 */
public enum Causality {
  BEFORE,
  AFTER,
  EQUAL,
  CONCURRENT
}
