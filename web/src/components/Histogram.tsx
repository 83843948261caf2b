// Counts per time bucket as bars (uPlot, loaded with the first chart drawn).
import { useEffect, useRef } from "react";

export function Histogram({
  label,
  buckets,
  seconds,
}: {
  label: string;
  buckets: readonly { start: string; count: number }[];
  seconds: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let plot: { destroy(): void } | undefined;
    let cancelled = false;
    void Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([{ default: UPlot }]) => {
      if (cancelled || !box.current) return;
      const xs = buckets.map((b) => Date.parse(b.start) / 1000 + seconds / 2);
      const ys = buckets.map((b) => b.count);
      plot = new UPlot(
        {
          width: box.current.clientWidth || 600,
          height: 160,
          legend: { show: false },
          scales: { x: { time: true } },
          series: [
            {},
            {
              label,
              fill: "rgba(37, 99, 235, 0.5)",
              stroke: "#2563eb",
              paths: UPlot.paths.bars?.({ size: [0.9, 40] }),
              points: { show: false },
            },
          ],
          axes: [{}, { size: 50 }],
        },
        [xs, ys],
        box.current,
      );
    });
    return () => {
      cancelled = true;
      plot?.destroy();
    };
  }, [buckets, seconds, label]);
  const total = buckets.reduce((n, b) => n + b.count, 0);
  return (
    <figure className="chart">
      <div
        ref={box}
        role="img"
        aria-label={`${label}: ${total} in ${buckets.length} buckets of ${seconds / 60} minutes`}
      />
      <figcaption className="muted">{label}</figcaption>
    </figure>
  );
}
