package io.lockstep.ops;

import io.lockstep.merchant.MerchantObserver;
import io.lockstep.protocol.v1.AckStatus;
import java.util.List;

/** Several observers seen by the entity as one; each is called in order. */
public record ObserverGroup(List<MerchantObserver> observers) implements MerchantObserver {

  public ObserverGroup {
    observers = List.copyOf(observers);
  }

  public static ObserverGroup of(MerchantObserver... observers) {
    return new ObserverGroup(List.of(observers));
  }

  @Override
  public void started(String merchantId, long headSeq) {
    observers.forEach(o -> o.started(merchantId, headSeq));
  }

  @Override
  public void stopped(String merchantId) {
    observers.forEach(o -> o.stopped(merchantId));
  }

  @Override
  public void written(String merchantId, int events, long writeNanos, long headSeq) {
    observers.forEach(o -> o.written(merchantId, events, writeNanos, headSeq));
  }

  @Override
  public void acknowledged(String merchantId, AckStatus status, int count) {
    observers.forEach(o -> o.acknowledged(merchantId, status, count));
  }

  @Override
  public void deviceAhead(String merchantId) {
    observers.forEach(o -> o.deviceAhead(merchantId));
  }

  @Override
  public void refused(String merchantId, String code) {
    observers.forEach(o -> o.refused(merchantId, code));
  }

  @Override
  public void conflict(String merchantId, String rule) {
    observers.forEach(o -> o.conflict(merchantId, rule));
  }

  @Override
  public void fannedOut(String merchantId, int subscribers, long nanos) {
    observers.forEach(o -> o.fannedOut(merchantId, subscribers, nanos));
  }

  @Override
  public void transferred(String merchantId, long bytesIn, long bytesOut) {
    observers.forEach(o -> o.transferred(merchantId, bytesIn, bytesOut));
  }

  @Override
  public void writeFailed(String merchantId) {
    observers.forEach(o -> o.writeFailed(merchantId));
  }

  @Override
  public void caughtUp(String merchantId, int changes, boolean snapshot) {
    observers.forEach(o -> o.caughtUp(merchantId, changes, snapshot));
  }

  @Override
  public void subscribers(String merchantId, int count) {
    observers.forEach(o -> o.subscribers(merchantId, count));
  }
}
