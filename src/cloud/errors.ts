/** Typed failures of cloud address movers. Call sites switch on `code` (stable, never reworded). */

export type CloudErrorCode =
  /** The provider kept answering "slow down" after our bounded retries. */
  | 'AwsThrottled'
  /** A call, or the wait for a move to become visible, outlived its deadline. */
  | 'AwsTimeout'
  /** The ENI, route, route table or allocation named does not exist. */
  | 'AwsNotFound'
  /** The credentials are missing, invalid, or lack the IAM permission. */
  | 'AwsUnauthorized'
  /** Anything else the provider refused or failed (its code is in detail.awsCode). */
  | 'AwsFailed'
  /** The epoch guard said this node no longer holds the group: nothing was sent. */
  | 'StaleEpoch'
  /** The instance metadata service (IMDSv2) did not answer, refused a session token, or failed. */
  | 'MetadataUnavailable'
  /** The instance metadata service knows no network interface with this MAC address. */
  | 'AwsInterfaceUnknown';

export type CloudDetail = Record<string, string | number | boolean>;

export class CloudError extends Error {
  readonly code: CloudErrorCode;
  /** True when the same call may succeed later (throttling, 5xx, timeouts). */
  readonly transient: boolean;
  readonly detail: CloudDetail;

  constructor(code: CloudErrorCode, message: string, detail: CloudDetail = {}, transient = false) {
    super(message);
    this.name = 'CloudError';
    this.code = code;
    this.detail = detail;
    this.transient = transient;
  }
}

export function isCloudError(e: unknown, code?: CloudErrorCode): e is CloudError {
  return e instanceof CloudError && (code === undefined || e.code === code);
}

/** A condition that does not stop a move but will break traffic (reported, not thrown). */
export interface CloudProblem {
  code: 'SourceDestCheckEnabled' | 'RouteNotConfirmed';
  message: string;
}
