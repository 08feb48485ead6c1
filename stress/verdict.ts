/**
 * The verdict of a campaign: a case fails by a FAIL or an ERROR; the campaign fails when a case
 * fails that is not expected to (compare expects the known-broken designs to fail); a campaign that
 * ran no case at all proves nothing: NO CASES, never SUCCESS; its exit code.
 */
import { constants } from 'node:os';
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

/** The end line's word: FAILURE before INTERRUPTED before NO CASES before SUCCESS. */
export type CampaignVerdict = 'SUCCESS' | 'FAILURE' | 'INTERRUPTED' | 'NO CASES';

export function campaignVerdict(r: CampaignResult, expected: ExpectedFailure = none): CampaignVerdict {
  if (campaignFailed(r, expected)) return 'FAILURE';
  if (r.interrupted) return 'INTERRUPTED';
  return r.cases.length === 0 ? 'NO CASES' : 'SUCCESS';
}

/** 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM (what a shell shows for a death by it). */
export function exitCodeOfSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? constants.signals.SIGINT);
}

/**
 * Interrupted: 128 + the signal (130 SIGINT, the default; 143 SIGTERM); 1 a case failed (expected
 * failures aside) or no case ran; 0 all passed.
 */
export function exitCodeOfCampaign(r: CampaignResult, expected: ExpectedFailure = none, signal?: NodeJS.Signals | null): number {
  if (r.interrupted) return signal ? exitCodeOfSignal(signal) : EXIT.INTERRUPTED;
  return campaignVerdict(r, expected) === 'SUCCESS' ? EXIT.OK : EXIT.CHECK_FAILED;
}
