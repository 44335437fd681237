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

  /** Bytes in or out that weigh one load unit: an ordinary change of a few hundred bytes adds a tenth or less. */
  public static final double BYTES_PER_UNIT = 4096; // 4 KiB.

  /** Load units per second of journal write in flight: one unit per 10 ms; an entity that never stops writing weighs 100. */
  public static final double UNITS_PER_BUSY_SECOND = 100;

  /**
   * The one number the planner balances, in load units per second; a unit is one accepted
   * mutation:
   *
   * <pre>
   *   score = mutations + deliveries + (bytesIn + bytesOut) / 4 KiB + busy x 100
   * </pre>
   *
   * <p>A weighted sum, because the planner adds shard scores into node scores and moves a shard's
   * score with it: a sum of rates that travel with their merchant keeps that true, so "a move
   * never raises max/mean" holds for this score. A maximum over normalized dimensions would not
   * add up per node; busy time alone would miss the fan-out, which sessions do outside the
   * entity's writes.
   *
   * <p>The weights keep an ordinary merchant's score close to its mutations plus deliveries (so
   * {@code min-mean-load} and the band read in those familiar units) and charge what those rates
   * miss. A delivery weighs as a mutation: an encode-once frame, but a session's send and socket
   * write per subscriber. Bytes: the two counts price a change of ordinary size, and a merchant
   * storing or sending large records pays one more unit per 4 KiB (encoding, the journal's row,
   * a copy per socket). Busy time: a write in flight holds one of the node's journal connections
   * ({@code lockstep.database.max-connections}) and, with group commit, caps the merchant's rate,
   * so a saturated merchant's acknowledged rate understates its demand; at the 2 ms PostgreSQL
   * writes measured by {@code fanout} a mutation written alone adds 0.2, a merchant whose writes
   * are slow or never pause adds up to 100. Busy time also rises with a node's own contention (its
   * writes queue), which errs on the safe side: a hot node reads hotter, not cooler.
   */
  public double score() {
    return mutations + deliveries + (bytesIn + bytesOut) / BYTES_PER_UNIT + busy * UNITS_PER_BUSY_SECOND;
  }

  public Load plus(Load other) {
    return new Load(mutations + other.mutations, deliveries + other.deliveries, bytesIn + other.bytesIn,
        bytesOut + other.bytesOut, busy + other.busy);
  }
}
