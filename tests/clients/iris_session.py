"""An investigator's session with DFIR-IRIS's official Python client (dfir-iris-client
2.0.4, from PyPI, unchanged) against a real `pivot serve`: the handshake, a customer and
a case made by name, IOCs with type and TLP by name, assets, notes in directories,
tasks, timeline events, evidences, the summary, a task log, the outcome, close and
reopen, deletes, and a bad key refused. After each write, Pivot's own GraphQL API is
asked what it now holds: IRIS routes and GraphQL are one graph.

Run by tests/clients/run, which starts the server: PIVOT_URL and PIVOT_KEY (an
administrator's API token) are set.
"""

import base64
import datetime
import os
import sys

import requests
from dfir_iris_client.admin import AdminHelper
from dfir_iris_client.case import Case
from dfir_iris_client.session import ClientSession

URL = os.environ["PIVOT_URL"]
KEY = os.environ["PIVOT_KEY"]
checks = 0


def check(condition, what):
    global checks
    if not condition:
        sys.exit(f"FAILED: {what}")
    checks += 1


def ok(response, what):
    """The client's answer was a success; its data."""
    check(response.is_success(), f"{what}: {response.get_msg()} {response.get_data()}")
    return response.get_data()


def graph(query, **variables):
    """What Pivot's GraphQL API says, with the same key."""
    r = requests.post(f"{URL}/graphql", json={"query": query, "variables": variables},
                      headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    body = r.json()
    check("errors" not in body, f"GraphQL {query}: {body.get('errors')}")
    return body["data"]


def the_case(number, selection):
    return graph("query($n: Int!) { cases(filter: { number: { eq: $n } }) { nodes { %s } } }" % selection,
                 n=number)["cases"]["nodes"][0]


# Who the key is: an IRIS user id is the number in the user's Pivot ID.
me = graph("{ me { id } }")["me"]["id"]
ME = int(base64.urlsafe_b64decode(me + "=" * (-len(me) % 4)).decode().split(":")[1])

# The handshake (ping, API versions) happens here; a bad key is refused by it.
try:
    ClientSession(apikey="not-a-key", host=f"{URL}/iris", ssl_verify=False)
    check(False, "a bad API key was accepted")
except Exception as e:  # the client raises a plain ValueError
    check("Invalid API key" in str(e), f"a bad key's refusal: {e}")
session = ClientSession(apikey=KEY, host=f"{URL}/iris", ssl_verify=False)
case = Case(session=session)

# A customer and a case, by name (the customer is made on the way).
made = ok(case.add_case(case_name="Ransomware at ACME", case_description="File shares encrypted overnight",
                        case_customer="ACME Corp", case_classification="malicious-code:ransomware",
                        soc_id="SOC-4242", create_customer=True), "add_case")
cid = made["case_id"]
check(made["case_name"] == f"#{cid} - Ransomware at ACME", f"case name {made['case_name']}")
case.set_cid(cid)
g = the_case(cid, "name socId description customer { name } classification { name }")
check(g == {"name": "Ransomware at ACME", "socId": "SOC-4242", "description": "File shares encrypted overnight",
            "customer": {"name": "acme corp"}, "classification": {"name": "malicious-code:ransomware"}},
      f"the case in the graph: {g}")
check(any(c["case_id"] == cid for c in ok(case.list_cases(), "list_cases")), "the case is listed")

# IOCs, with type and TLP by name.
ioc = ok(case.add_ioc(value="evil.example.com", ioc_type="domain", ioc_tlp="amber",
                      description="C2 domain", ioc_tags=["c2", "dns"]), "add_ioc")
check((ioc["ioc_type"], ioc["ioc_tlp_id"], ioc["ioc_tags"]) == ("domain", 2, "c2,dns"), f"IOC {ioc}")
ioc2 = ok(case.add_ioc(value="198.51.100.7", ioc_type="ip-dst", ioc_tlp="red"), "add_ioc ip")
ok(case.update_ioc(ioc2["ioc_id"], description="exfiltration target"), "update_ioc")
iocs = ok(case.list_iocs(), "list_iocs")["ioc"]
check(sorted(i["ioc_value"] for i in iocs) == ["198.51.100.7", "evil.example.com"], f"IOC list {iocs}")
g = the_case(cid, "iocs(first: 10) { nodes { value type tlp description } }")["iocs"]["nodes"]
check({"value": "198.51.100.7", "type": "ip-dst", "tlp": "RED", "description": "exfiltration target"} in g,
      f"IOCs in the graph: {g}")

# Assets: type, analysis and compromise status by name, linked to an IOC.
asset = ok(case.add_asset(name="fs01", asset_type="Windows - Server", analysis_status="Started",
                          compromise_status="Compromised", ip="192.0.2.10", description="file server",
                          ioc_links=[ioc2["ioc_id"]], tags=["smb"]), "add_asset")
aid = asset["asset_id"]
ok(case.update_asset(aid, analysis_status="Done"), "update_asset")
g = the_case(cid, "assets { name ip compromiseStatus type { name } analysisStatus { name } iocs { value } }")["assets"]
check(g == [{"name": "fs01", "ip": "192.0.2.10", "compromiseStatus": "COMPROMISED", "type": {"name": "Windows - Server"},
             "analysisStatus": {"name": "Done"}, "iocs": [{"value": "198.51.100.7"}]}], f"assets in the graph: {g}")

# Notes in directories, one inside the other.
top = ok(case.add_notes_directory("Triage"), "add_notes_directory")
inner = ok(case.add_notes_directory("Servers", parent_directory_id=top["id"]), "add_notes_directory inside")
note = ok(case.add_note("fs01", "Encrypted at 02:13; ransom note found.", directory_id=inner["id"]), "add_note")
ok(case.update_note(note["note_id"], note_content="Encrypted at 02:13; ransom note on every share."), "update_note")
found = ok(case.search_notes("ransom note"), "search_notes")
check([n["note_id"] for n in found] == [note["note_id"]], f"note search {found}")
dirs = ok(case.list_notes_directories(), "list_notes_directories")
check([d["name"] for d in dirs] == ["Servers", "Triage"] and dirs[1]["subdirectories"][0]["name"] == "Servers",
      f"directories {dirs}")
g = the_case(cid, "noteGroups { title parent { title } notes { body revision } }")["noteGroups"]
check({"title": "Servers", "parent": {"title": "Triage"},
       "notes": [{"body": "Encrypted at 02:13; ransom note on every share.", "revision": 2}]} in g,
      f"notes in the graph: {g}")

# Tasks: status by name, assigned by user id.
task = ok(case.add_task("Collect the proxy logs", status="To do", assignees=[ME], tags=["logs"]), "add_task")
ok(case.update_task(task["id"], status="Done"), "update_task")
tasks = ok(case.list_tasks(), "list_tasks")["tasks"]
check([t["task_title"] for t in tasks] == ["Collect the proxy logs"], f"tasks {tasks}")
g = the_case(cid, "tasks { title status assignees { id } }")["tasks"]
check(g[0]["status"] == "DONE" and len(g[0]["assignees"]) == 1, f"tasks in the graph: {g}")

# The timeline: a category by name, linked to the asset.
when = datetime.datetime(2026, 1, 15, 2, 13, 0)
event = ok(case.add_event("Shares encrypted", date_time=when, content="vssadmin delete shadows", category="Impact",
                          linked_assets=[aid], tags=["ransomware"], display_in_summary=True), "add_event")
# The client sends the links again with every update (none given: none kept).
ok(case.update_event(event["event_id"], title="File shares encrypted", linked_assets=[aid]), "update_event")
listed = ok(case.list_events(filter_by_asset=aid), "list_events")["timeline"]
check([e["event_title"] for e in listed] == ["File shares encrypted"], f"timeline {listed}")
g = the_case(cid, "timeline { title occurredAt category inSummary }")["timeline"]
check(g == [{"title": "File shares encrypted", "occurredAt": "2026-01-15T02:13:00+00:00", "category": "Impact",
             "inSummary": True}], f"timeline in the graph: {g}")

# Evidences.
evidence = ok(case.add_evidence("fs01-memory.raw", file_size=8589934592, description="memory image",
                                file_hash="d41d8cd98f00b204e9800998ecf8427e"), "add_evidence")
g = the_case(cid, "evidences { filename size hash }")["evidences"]
check(g == [{"filename": "fs01-memory.raw", "size": 8589934592, "hash": "d41d8cd98f00b204e9800998ecf8427e"}],
      f"evidences in the graph: {g}")

# The summary, a task log, the outcome.
ok(case.set_summary("Ransomware on fs01; contained at 04:00."), "set_summary")
check(ok(case.get_summary(), "get_summary")["case_description"] == "Ransomware on fs01; contained at 04:00.",
      "summary read back")
ok(case.add_task_log("Isolated fs01 from the network"), "add_task_log")
ok(case.set_case_outcome_status("True positive with impact"), "set_case_outcome_status")
g = the_case(cid, "description outcome activities { text }")
check(g == {"description": "Ransomware on fs01; contained at 04:00.", "outcome": "TRUE_POSITIVE_WITH_IMPACT",
            "activities": [{"text": "Isolated fs01 from the network"}]}, f"summary, outcome, activity: {g}")

# Closed, and reopened.
ok(case.close_case(cid), "close_case")
check(the_case(cid, "status")["status"] == "CLOSED", "closed in the graph")
ok(case.reopen_case(cid), "reopen_case")
check(the_case(cid, "status")["status"] == "OPEN", "reopened in the graph")

# Deletes, each seen in the graph.
ok(case.delete_evidence(evidence["id"]), "delete_evidence")
ok(case.delete_event(event["event_id"]), "delete_event")
ok(case.delete_task(task["id"]), "delete_task")
ok(case.delete_note(note["note_id"]), "delete_note")
ok(case.delete_notes_directory(top["id"]), "delete_notes_directory")
ok(case.delete_asset(aid), "delete_asset")
ok(case.delete_ioc(ioc["ioc_id"]), "delete_ioc")
g = the_case(cid, "evidences { id } timeline { id } tasks { id } noteGroups { id } assets { id } "
                  "iocs(first: 10) { nodes { value } }")
check(g == {"evidences": [], "timeline": [], "tasks": [], "noteGroups": [], "assets": [],
            "iocs": {"nodes": [{"value": "198.51.100.7"}]}}, f"after the deletes: {g}")
ok(case.delete_case(cid), "delete_case")
check(graph("query($n: Int!) { cases(filter: { number: { eq: $n } }) { totalCount } }", n=cid)["cases"]["totalCount"] == 0,
      "the case is gone")
# A service account for a SOAR, with its own key; deactivated, its key stops working.
admin = AdminHelper(session)
robot = ok(admin.add_user(login="soar", name="SOAR robot", password="", email="soar@example.com",
                          is_service_account=True), "add_user")
check(robot["user_login"] == "soar" and robot["user_api_key"], f"the new user and its key: {robot}")
ClientSession(apikey=robot["user_api_key"], host=f"{URL}/iris", ssl_verify=False)
check(ok(admin.get_user("soar"), "get_user")["user_name"] == "SOAR robot", "the user read back by login")
ok(admin.update_user("soar", name="SOAR"), "update_user")
ok(admin.deactivate_user("soar"), "deactivate_user")
try:
    ClientSession(apikey=robot["user_api_key"], host=f"{URL}/iris", ssl_verify=False)
    check(False, "a deactivated user's key was accepted")
except Exception as e:
    check("Invalid API key" in str(e), f"a deactivated key's refusal: {e}")
g = graph('{ users(filter: { username: { eq: "soar" } }) { nodes { displayName active } } }')["users"]["nodes"]
check(g == [{"displayName": "SOAR", "active": False}], f"the user in the graph: {g}")

# Every write the session made through IRIS routes is in Pivot's audit log, under the
# GraphQL mutation it ran.
wanted = {"createCustomer", "createCase", "useCase", "addIoc", "updateIoc", "createAsset", "updateAsset",
          "createNoteGroup", "createNote", "updateNote", "createTask", "updateTask", "createTimelineEvent",
          "updateTimelineEvent", "createEvidence", "updateCase", "logCaseActivity", "closeCase", "reopenCase",
          "deleteEvidence", "deleteTimelineEvent", "deleteTask", "deleteNote", "deleteNoteGroup", "deleteAsset",
          "unlinkIoc", "deleteCase", "createUser", "createApiToken", "updateUser"}
seen = {e["action"] for e in graph("{ auditEvents(first: 1000) { nodes { action } } }")["auditEvents"]["nodes"]}
check(wanted <= seen, f"writes missing from the audit log: {sorted(wanted - seen)}")

print(f"dfir-iris-client session: {checks} checks passed")
