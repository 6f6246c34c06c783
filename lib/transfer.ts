// postMessage with a transfer list that falls back to a copy. On Node 22 an ArrayBuffer whose memory a native addon
// owns (sharp's output buffers, for one) cannot be transferred: postMessage throws DataCloneError before it detaches
// anything, so sending the same message again without the list copies it instead of losing it.
interface MessageTarget { postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void }

export function postTransferring(target: MessageTarget, message: unknown, transfer: readonly ArrayBuffer[]): void {
  if (transfer.length === 0) {
    target.postMessage(message);
    return;
  }
  try {
    target.postMessage(message, transfer);
  } catch (err) {
    if ((err as Error | undefined)?.name !== 'DataCloneError') throw err;
    target.postMessage(message);
  }
}
