package io.lockstep.rebalance;

/** Shard {@code shard} with load score {@code load} goes from node {@code from} to {@code to}, because of {@code reason}. */
public record Move(String shard, String from, String to, double load, String reason) {}
