// The columns a list of flows shows, wherever it is (the flows explorer, a host's page).
import { Link } from "react-router";
import type { Column } from "./Table";
import { Time } from "./Time";

type Flow = {
  srcIp: string;
  srcPort?: number | null;
  dstIp: string;
  dstPort?: number | null;
  protocol: string;
  application?: string | null;
  srcBytes: number;
  dstBytes: number;
  startedAt: string;
  state?: string | null;
  sensor?: string | null;
};

/** With `sortable`, the headers sort by these FlowField values. */
export function flowColumns<F extends Flow>(sortable = false): Column<F>[] {
  const by = (field: string) => (sortable ? field : undefined);
  return [
    { header: "Start", cell: (f) => <Time at={f.startedAt} />, width: "11rem", sort: by("STARTED_AT") },
    {
      header: "Source",
      cell: (f) => <Link to={`/hosts/${f.srcIp}`}>{`${f.srcIp}:${f.srcPort ?? ""}`}</Link>,
      sort: by("SRC"),
    },
    {
      header: "Destination",
      cell: (f) => <Link to={`/hosts/${f.dstIp}`}>{`${f.dstIp}:${f.dstPort ?? ""}`}</Link>,
      sort: by("DST"),
    },
    { header: "Proto", cell: (f) => f.protocol.toLowerCase(), width: "4rem", sort: by("PROTOCOL") },
    { header: "App", cell: (f) => f.application ?? "", width: "6rem", sort: by("APPLICATION") },
    { header: "Bytes out", cell: (f) => f.srcBytes, width: "7rem", sort: by("SRC_BYTES") },
    { header: "Bytes in", cell: (f) => f.dstBytes, width: "7rem", sort: by("DST_BYTES") },
    { header: "State", cell: (f) => f.state ?? "", width: "5rem" },
    { header: "Sensor", cell: (f) => f.sensor ?? "", width: "7rem" },
  ];
}
