package io.lockstep.client;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Hands listener calls to the listener thread, in order. A listener that throws is reported to
 * the thread's uncaught-exception handler and does not stop later calls.
 */
final class ListenerDispatch {

  private final ClientListener listener;
  private final Executor listenerThread;

  ListenerDispatch(ClientListener listener, Executor listenerThread) {
    this.listener = listener;
    this.listenerThread = listenerThread;
  }

  void tell(Consumer<ClientListener> call) {
    try {
      listenerThread.execute(() -> {
        try {
          call.accept(listener);
        } catch (RuntimeException e) {
          Thread t = Thread.currentThread();
          t.getUncaughtExceptionHandler().uncaughtException(t, e);
        }
      });
    } catch (RejectedExecutionException closed) {
      // The client is closed; nobody listens any more.
    }
  }
}
