package io.lockstep.security;

/**
 * Who a verified token speaks for. The token kind decides the type:
 *
 * <pre>
 *   kind      type                 scope
 *   device    DevicePrincipal      one device of one merchant
 *   service   ServicePrincipal     one merchant, or every merchant when none is named
 *   operator  OperatorPrincipal    the operator routes
 * </pre>
 */
public sealed interface Principal permits DevicePrincipal, ServicePrincipal, OperatorPrincipal {

  /** The token {@code kind} claim of this principal. */
  String kind();
}
