// Who is signed in: the `me` query decides; without a session the app shows the
// sign-in page, and any request refused as UNAUTHENTICATED (the session ended) brings
// it back.
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { codes, onSignedOut } from "./client";
import { explain } from "./errors";
import { graphql, type ResultOf } from "./graphql";

const Me = graphql(`
  query Me {
    me { id username displayName role grants }
  }
`);

const Login = graphql(`
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) { id username }
  }
`);

const Logout = graphql(`
  mutation Logout { logout }
`);

export type Me = ResultOf<typeof Me>["me"];

const SessionContext = createContext<{ me: Me; signOut: () => void } | null>(null);

export function useSession() {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in page");
  return s;
}

/** Whether the signed-in user holds a capability (`cases:write` …). */
export function useCan(capability: string): boolean {
  return useSession().me.grants.includes(capability);
}

export function SessionGate({ children }: { children: ReactNode }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: Me, requestPolicy: "network-only" });
  const [, logout] = useMutation(Logout);
  const [ended, setEnded] = useState(false);
  // Only a session there was can end: a first visit's refused "who am I" is no news.
  const wasSignedIn = useRef(false);
  if (data?.me) wasSignedIn.current = true;
  useEffect(
    () =>
      onSignedOut(() => {
        if (wasSignedIn.current) setEnded(true);
      }),
    [],
  );
  if (fetching && !data) return <p className="loading">Loading…</p>;
  const signedOut = ended || !data || codes(error).includes("UNAUTHENTICATED");
  if (signedOut) {
    return (
      <SignIn
        ended={ended}
        onSignedIn={() => {
          setEnded(false);
          refetch({ requestPolicy: "network-only" });
        }}
      />
    );
  }
  const signOut = async () => {
    await logout({});
    location.assign("/");
  };
  return <SessionContext.Provider value={{ me: data.me, signOut }}>{children}</SessionContext.Provider>;
}

function SignIn({ ended, onSignedIn }: { ended: boolean; onSignedIn: () => void }) {
  const [{ fetching, error }, login] = useMutation(Login);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const failure = error ? explain(error) : undefined;
  return (
    <main className="signin">
      <h1>Pivot</h1>
      <form
        aria-label="Sign in"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await login({ username, password });
          if (!r.error) onSignedIn();
        }}
      >
        {ended && !failure && <p role="status">Your session has ended. Sign in again.</p>}
        <label>
          Username
          <input
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {failure && (
          <p role="alert" className="error">
            {failure.code === "RATE_LIMITED"
              ? "Too many failed attempts from here: wait a minute before trying again."
              : failure.code === "UNAUTHENTICATED"
                ? "Wrong username or password."
                : failure.message}
          </p>
        )}
        <button type="submit" disabled={fetching}>
          Sign in
        </button>
      </form>
    </main>
  );
}
