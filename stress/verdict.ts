/**
 * The verdict of a campaign: a case fails by a FAIL or an ERROR; the campaign fails when a case
 * fails that is not expected to (compare expects the known-broken designs to fail); its exit code.
 */
import { EXIT } from '../src/errors.ts';
import type { CampaignResult, CaseRecord } from '../src/results/format.ts';

/** Failures that are expected: listed, but not a failure of the campaign. */
export type ExpectedFailure = (c: CaseRecord) => boolean;

const none: ExpectedFailure = () => false;

export const isFailure = (c: CaseRecord): boolean => c.verdict === 'FAIL' || c.verdict === 'ERROR';

/** A case failed that was not expected to. */
export function campaignFailed(r: CampaignResult, expected: ExpectedFailure = none): boolean {
  return r.cases.some((c) => isFailure(c) && !expected(c));
}

/** 130 interrupted, 1 a case failed (expected failures aside), 0 all passed. */
export function exitCodeOfCampaign(r: CampaignResult, expected: ExpectedFailure = none): number {
  if (r.interrupted) return EXIT.INTERRUPTED;
  return campaignFailed(r, expected) ? EXIT.CHECK_FAILED : EXIT.OK;
}
