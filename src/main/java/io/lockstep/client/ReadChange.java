package io.lockstep.client;

import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.protocol.v1.Change;
import io.lockstep.serialization.DeviceProtocolMapper;
import java.util.Optional;

/**
 * A server change with its parts read. A change without a record (a rejected mutation kept for its
 * conflict, on a record that does not exist) only advances the seq.
 */
record ReadChange(Change change, Optional<DomainRecord> record, Optional<Conflict> conflict) {

  /** @throws RuntimeException when the record or the conflict cannot be read */
  static ReadChange of(Change change) {
    Optional<DomainRecord> record = change.getRecordCase() == Change.RecordCase.RECORD_NOT_SET
        ? Optional.empty() : Optional.of(DeviceProtocolMapper.recordOf(change));
    Optional<Conflict> conflict = change.hasConflict()
        ? Optional.of(DeviceProtocolMapper.toDomain(change.getConflict())) : Optional.empty();
    return new ReadChange(change, record, conflict);
  }
}
