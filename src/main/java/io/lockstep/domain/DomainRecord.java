package io.lockstep.domain;

/**
 * A replicated record: a catalog {@link Item} or an {@link Order}. Each carries the version vector
 * of the mutations applied to it and can present itself as a resolved view, the form devices
 * receive, without the server's merge metadata.
 */
public sealed interface DomainRecord permits Item, Order {

  /** The item id or order id. */
  String recordId();

  /** The dots applied to this record, as a version vector. */
  VersionVector version();

  /**
   * This record rebuilt from its resolved fields only, as a device builds it from the wire: equal
   * to what the wire mapping of the resolved view decodes to.
   */
  DomainRecord resolvedView();
}
