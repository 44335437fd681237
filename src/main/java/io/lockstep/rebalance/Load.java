package io.lockstep.rebalance;

/**
 * The decayed load of a merchant, a shard or a node, per second.
 *
 * @param mutations accepted mutations per second
 * @param deliveries change batches sent to subscribed sessions per second (one per subscriber)
 * @param bytesIn encoded mutation bytes stored per second
 * @param bytesOut encoded change bytes sent to subscribers per second
 * @param busy share of time with a journal write in flight (0..1 for one entity; a shard or
 *     node sums its entities)
 */
public record Load(double mutations, double deliveries, double bytesIn, double bytesOut, double busy) {

  public static final Load ZERO = new Load(0, 0, 0, 0, 0);

  /**
   * The one number the planner balances: mutations plus deliveries per second. Each mutation costs
   * a resolution and its share of a journal write, each delivery an encode-once send; bytes and
   * busy time are reported beside it but not weighed in, so the score stays in units an
   * operator can check against {@code lockstep_mutations_total}.
   */
  public double score() {
    return mutations + deliveries;
  }

  public Load plus(Load other) {
    return new Load(mutations + other.mutations, deliveries + other.deliveries, bytesIn + other.bytesIn,
        bytesOut + other.bytesOut, busy + other.busy);
  }
}
