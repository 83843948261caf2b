// The first few values of a group-by, as bars (top talkers, ports, protocols).
import { Link } from "react-router";

export function Top({
  title,
  rows,
  link,
}: {
  title: string;
  rows: readonly { value: string | null; count: number }[];
  link?: (value: string) => string;
}) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return (
    <section className="top" aria-label={title}>
      <h2>{title}</h2>
      <ol>
        {rows.map((r) => (
          <li key={r.value ?? "-"}>
            <span className="bar" style={{ width: `${(100 * r.count) / max}%` }} />
            <span>{r.value && link ? <Link to={link(r.value)}>{r.value}</Link> : (r.value ?? "—")}</span>
            <span className="count">{r.count}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
