import { format, formatDistanceToNowStrict } from "date-fns";

/** A time in the reader's zone, with how long ago it was on hover. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  const d = new Date(at);
  return (
    <time dateTime={at} title={`${formatDistanceToNowStrict(d)} ago · ${d.toISOString()}`}>
      {format(d, "yyyy-MM-dd HH:mm:ss")}
    </time>
  );
}
