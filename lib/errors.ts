// Errors that tell the user what is wrong and what to change.
// `code` selects a translated message in a node's locale catalog (errors.<code>); `details` fills it in.

export class PipelineError extends Error {
  override name = 'PipelineError';
  constructor(
    public readonly code: string,
    message: string,
    public readonly details: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export function isPipelineError(err: unknown): err is PipelineError {
  return err instanceof Error && typeof (err as PipelineError).code === 'string' && 'details' in err;
}
