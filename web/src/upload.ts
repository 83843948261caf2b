// A GraphQL multipart request (the files to import) sent with XMLHttpRequest, whose
// upload events say how much of the file has gone: fetch does not.

import type { TadaDocumentNode } from "gql.tada";
import { print } from "graphql";

export type Progress = { sent: number; total: number };

export type Outcome<D> = {
  data?: D;
  errors?: { message: string; extensions?: { code?: string } }[];
  status: number;
};

export function upload<D, V extends { file: File }>(
  document: TadaDocumentNode<D, V>,
  variables: V,
  onProgress: (p: Progress) => void,
): Promise<Outcome<D>> {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({ query: print(document), variables: { ...variables, file: null } }),
  );
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", variables.file, variables.file.name);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/graphql");
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.total || variables.file.size });
    xhr.onload = () => {
      try {
        resolve({ ...JSON.parse(xhr.responseText), status: xhr.status });
      } catch {
        resolve({ status: xhr.status, errors: [{ message: `the server answered ${xhr.status}` }] });
      }
    };
    xhr.onerror = () => resolve({ status: 0, errors: [{ message: "Pivot cannot be reached." }] });
    xhr.send(form);
  });
}
