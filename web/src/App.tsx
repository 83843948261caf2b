import { lazy, Suspense } from "react";
import { Link, NavLink, Route, Routes, useNavigate } from "react-router";
import { AdminPage } from "./pages/Admin";
import { AlertPage } from "./pages/Alert";
import { AlertsPage } from "./pages/Alerts";
import { CasePage } from "./pages/Case";
import { CasesPage } from "./pages/Cases";
import { DashboardPage } from "./pages/Dashboard";
import { FlowsPage } from "./pages/Flows";
import { HostPage } from "./pages/Host";
import { ImportPage } from "./pages/Import";
import { SearchBox, SearchPage } from "./pages/Search";
import { useCan, useSession } from "./session";

// Cytoscape is loaded only when the graph view is opened.
const GraphPage = lazy(() => import("./pages/Graph"));

export function App() {
  const { me, signOut } = useSession();
  const admin = useCan("users:write");
  const navigate = useNavigate();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <Link to="/" className="brand">
          Pivot
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/alerts">Alerts</NavLink>
          <NavLink to="/flows">Flows</NavLink>
          <NavLink to="/cases">Cases</NavLink>
          <NavLink to="/graph">Graph</NavLink>
          <NavLink to="/import">Import</NavLink>
          {admin && <NavLink to="/admin">Administration</NavLink>}
        </nav>
        <SearchBox onSearch={(q) => navigate(`/search?q=${encodeURIComponent(q)}`)} />
        <div className="user">
          <span title={`role: ${me.role}`}>{me.displayName ?? me.username}</span>
          <a href="/graphiql">Explorer</a>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes>
            <Route path="/" element={<DashboardPage />} />
            <Route path="/search" element={<SearchPage />} />
            <Route path="/hosts/:ip" element={<HostPage />} />
            <Route path="/alerts" element={<AlertsPage />} />
            <Route path="/alerts/:id" element={<AlertPage />} />
            <Route path="/flows" element={<FlowsPage />} />
            <Route path="/cases" element={<CasesPage />} />
            <Route path="/cases/:id" element={<CasePage />} />
            <Route path="/graph" element={<GraphPage />} />
            <Route path="/import" element={<ImportPage />} />
            <Route path="/admin/*" element={<AdminPage />} />
            <Route path="*" element={<p role="alert">There is no page here.</p>} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}
