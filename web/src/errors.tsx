// Server errors said plainly, with what to do about them.
import type { CombinedError } from "urql";

const advice: Record<string, string> = {
  UNAUTHENTICATED: "Your session has ended: sign in again.",
  FORBIDDEN: "Your role does not allow this. Ask an administrator for the capability.",
  NOT_FOUND: "It does not exist, or it belongs to a customer you cannot see.",
  CONFLICT: "Someone changed it meanwhile: reload it, then apply your change again (your text is kept).",
  RATE_LIMITED: "Too many attempts: wait a minute, then try again.",
  BAD_USER_INPUT: "Correct the value and try again.",
  PAYLOAD_TOO_LARGE: "The file is larger than this server accepts (ask an administrator for the limit).",
  TIMEOUT: "The query took too long: narrow the filter.",
  UNAVAILABLE: "The server is busy: try again in a moment.",
  QUERY_TOO_COMPLEX: "The query asks for too much at once: narrow it.",
};

export function explain(error: CombinedError): { message: string; advice?: string; code?: string } {
  if (error.networkError && error.graphQLErrors.length === 0) {
    return {
      message: "Pivot cannot be reached.",
      advice: "Check the connection; the page retries when you act again.",
    };
  }
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code ? String(first.extensions.code) : undefined;
  return { message: first?.message ?? error.message, advice: code ? advice[code] : undefined, code };
}

export function ErrorNotice({ error }: { error: CombinedError | undefined }) {
  if (!error) return null;
  return <Problem {...explain(error)} />;
}

/** One error said plainly: its message and, by its code, what to do. */
export function Problem(d: { message: string; code?: string; advice?: string }) {
  const what = d.advice ?? (d.code ? advice[d.code] : undefined);
  return (
    <div role="alert" className="error">
      <strong>{d.message}</strong>
      {what && <span> {what}</span>}
    </div>
  );
}
