//! The reference lists cases are described with, beside asset types and analysis
//! statuses: case classifications (the CERT-XLM incident classification DFIR-IRIS
//! seeds, `predicate:value`), timeline event categories (MITRE ATT&CK tactics and
//! IRIS's own) and IOC types (MISP's attribute types). Ids follow the lists' order, as
//! on a fresh IRIS, so that scripts written against one find the same ids here. Cases
//! and customers also get free-form custom attributes, and customers a service level.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CaseClassifications::Table)
                .col(
                    ColumnDef::new(CaseClassifications::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(CaseClassifications::Name)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(CaseClassifications::ExpandedName).string().not_null())
                .col(ColumnDef::new(CaseClassifications::Description).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EventCategories::Table)
                .col(
                    ColumnDef::new(EventCategories::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(EventCategories::Name).string().not_null().unique_key())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IocTypes::Table)
                .col(ColumnDef::new(IocTypes::Id).big_integer().not_null().primary_key())
                .col(ColumnDef::new(IocTypes::Name).string().not_null().unique_key())
                .col(ColumnDef::new(IocTypes::Description).string().not_null())
                .to_owned(),
        )
        .await?;
        // An inline reference: SQLite adds no foreign key to a table that exists otherwise.
        let db = m.get_connection();
        db.execute_unprepared(
            "ALTER TABLE cases ADD COLUMN classification_id bigint REFERENCES case_classifications (id)",
        )
        .await?;
        // Free-form attributes (a JSON object as text) a team adds to its cases and
        // customers, and a customer's service level.
        for statement in [
            "ALTER TABLE cases ADD COLUMN custom_attributes text",
            "ALTER TABLE iocs ADD COLUMN custom_attributes text",
            "ALTER TABLE customers ADD COLUMN custom_attributes text",
            "ALTER TABLE customers ADD COLUMN sla text",
        ] {
            db.execute_unprepared(statement).await?;
        }
        seed(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("cases", "classification_id"),
            ("cases", "custom_attributes"),
            ("iocs", "custom_attributes"),
            ("customers", "custom_attributes"),
            ("customers", "sla"),
        ] {
            m.get_connection()
                .execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                .await?;
        }
        for t in [
            CaseClassifications::Table.into_iden(),
            EventCategories::Table.into_iden(),
            IocTypes::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CaseClassifications {
    Table,
    Id,
    Name,
    ExpandedName,
    Description,
}

#[derive(DeriveIden)]
enum EventCategories {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum IocTypes {
    Table,
    Id,
    Name,
    Description,
}

/// CERT-XLM's security incident classification (MISP taxonomy `CERT-XLM`), as
/// `predicate:value`, its predicate's and value's expansions, and its description.
const CLASSIFICATIONS: [(&str, &str, &str, &str, &str); 36] = [
    ("abusive-content", "Abusive Content", "spam", "spam", "Spam or 'unsolicited bulk e-mail', meaning that the recipient has not granted verifiable permission for the message to be sent and that the message is sent as part of a larger collection of messages, all having identical content."),
    ("abusive-content", "Abusive Content", "harmful-speech", "Harmful Speech", "Discretization or discrimination of somebody (e.g. cyber stalking, racism and threats against one or more individuals) May be found on a forum, email, tweet etc..."),
    ("abusive-content", "Abusive Content", "violence", "Child/Sexual/Violence/...", "Any Child pornography, glorification of violence, may be found on a website, forum, email, tweet etc..."),
    ("malicious-code", "Malicious Code", "virus", "Virus", "Malicious code that replicate itself and infects the computer and files."),
    ("malicious-code", "Malicious Code", "worm", "Worm", "Malware that self-replicates and spread itself to other computers in the network without any user interaction."),
    ("malicious-code", "Malicious Code", "ransomware", "Ransomware", "Malicious software that blocks access to the victim's data or threatens to publish it until a ransom is paid."),
    ("malicious-code", "Malicious Code", "trojan-malware", "Trojan/Malware", "Many common malware types (Banking, POS, Mining malware)."),
    ("malicious-code", "Malicious Code", "spyware-rat", "Spyware/Rat", "Malware types and tools that may have a bigger impact on the breached infrastructure and usually need further investigations (common spyware/RAT, state sponsored malware, stealers, hacking tools)."),
    ("malicious-code", "Malicious Code", "dialer", "Dialer", "Computer program used to identify the phone numbers that can successfully make a connection with a computer modem; also overpriced SMS sent by malicious mobile applications."),
    ("malicious-code", "Malicious Code", "rootkit", "Rootkit", "Malware which alters the standard functionality of an operating system in order to do its malicious actions in a stealthy way."),
    ("information-gathering", "Information Gathering", "scanner", "Scanning", "Attacks that send requests to a system to discover weak points, including some kinds of testing processes to gather information about hosts, services and accounts."),
    ("information-gathering", "Information Gathering", "sniffing", "Sniffing", "Observing and recording network traffic (wiretapping)."),
    ("information-gathering", "Information Gathering", "social-engineering", "Social Engineering", "Gathering information from a human being in a non-technical way (lies, tricks, bribes, or threats)."),
    ("intrusion-attempts", "Intrusion Attempts", "exploit-known-vuln", "Exploiting known vulnerabilities", "An attempt to compromise a system or to disrupt any service by exploiting vulnerabilities with a standardised identifier such as a CVE name."),
    ("intrusion-attempts", "Intrusion Attempts", "login-attempts", "Login attempts", "Multiple login attempts (guessing or cracking of passwords, brute force)."),
    ("intrusion-attempts", "Intrusion Attempts", "new-attack-signature", "New attack signature", "An attempt using an unknown exploit."),
    ("intrusion", "Intrusion", "privileged-account-compromise", "Privileged Account Compromise", "A successful full compromise of a system or application (service), remotely or by an unauthorized local access."),
    ("intrusion", "Intrusion", "unprivileged-account-compromise", "Unprivileged Account Compromise", "A successful compromise of a system or application (service) in which the intruder did not escalate their privileges locally."),
    ("intrusion", "Intrusion", "botnet-member", "Botnet member", "The compromised asset is also part of a botnet (mainly public web servers)."),
    ("intrusion", "Intrusion", "domain-compromise", "Domain Compromise", "The whole domain is compromised; commonly used for Active Directory."),
    ("intrusion", "Intrusion", "application-compromise", "Application Compromise", "An application is compromised; the attacker has uncontrolled access to the data, servers and assets it uses."),
    ("availability", "Availability", "dos", "DoS", "An attacker attempts to prevent legitimate users from accessing information or services."),
    ("availability", "Availability", "ddos", "DDoS", "Multiple computers send repeated requests to a server to load it down and render the service inaccessible for a period of time."),
    ("availability", "Availability", "sabotage", "Sabotage", "Deliberate and malicious acts that result in the disruption of the normal processes and functions or the destruction or damage of equipment or information."),
    ("availability", "Availability", "outage", "Outage (no malice)", "Unavailability of the system but done with no malice."),
    ("information-content-security", "Information Content Security", "Unauthorised-information-access", "Unauthorised access to information", "Any access to unauthorized data."),
    ("information-content-security", "Information Content Security", "Unauthorised-information-modification", "Unauthorised modification of information", "Unauthorized tampering of data on files, documents or databases."),
    ("fraud", "Fraud", "copyright", "Copyright", "Selling or installing copies of unlicensed commercial software or other copyright protected materials."),
    ("fraud", "Fraud", "masquerade", "Masquerade", "One entity illegitimately assumes the identity of another in order to benefit from it."),
    ("fraud", "Fraud", "phishing", "Phishing", "Masquerading as another entity in order to persuade the user to reveal a private credential."),
    ("vulnerable", "Vulnerable", "vulnerable-service", "Open for abuse", "Open resolvers, world readable printers, apparent vulnerabilities, default passwords or SNMP communities."),
    ("conformity", "Conformity", "regulator", "Regulator", "A lack regarding regulators' rules (CSSF, GDPR...)."),
    ("conformity", "Conformity", "standard", "Standard", "A lack regarding the company's certifications (ISO 27000, NIS, ISAE 3402...)."),
    ("conformity", "Conformity", "security-policy", "Security policy", "A lack regarding the company's internal security policy."),
    ("conformity", "Conformity", "other-conformity", "Other", "A lack that does not fit one of the previous categories."),
    ("other", "Other", "other", "other", "Incidents that do not fit one of the given categories."),
];

/// Timeline event categories, in DFIR-IRIS's order (and ids).
const EVENT_CATEGORIES: [&str; 15] = [
    "Unspecified",
    "Legitimate",
    "Remediation",
    "Initial Access",
    "Execution",
    "Persistence",
    "Privilege Escalation",
    "Defense Evasion",
    "Credential Access",
    "Discovery",
    "Lateral Movement",
    "Collection",
    "Command and Control",
    "Exfiltration",
    "Impact",
];

/// IOC types: the MISP attribute types investigators use most (the web app's), and
/// DFIR-IRIS v1's own seven, so that either kind of script finds its type by name.
const IOC_TYPES: [(&str, &str); 35] = [
    ("AS", "Autonomous system"),
    ("domain", "A domain name used in the malware"),
    ("domain|ip", "A domain name and its IP address (as found in DNS lookup)"),
    ("email", "An e-mail address"),
    ("email-src", "The source e-mail address of an e-mail"),
    ("email-dst", "A recipient e-mail address"),
    ("email-subject", "The subject of an e-mail"),
    ("filename", "A file name"),
    ("filename|md5", "A file name and its MD5 hash"),
    ("filename|sha1", "A file name and its SHA-1 hash"),
    ("filename|sha256", "A file name and its SHA-256 hash"),
    ("hostname", "A full host or DNS name"),
    ("ip-dst", "A destination IP address of the attacker or C&C server"),
    ("ip-dst|port", "A destination IP address and port"),
    ("ip-src", "A source IP address of the attacker"),
    ("ip-src|port", "A source IP address and port"),
    ("mac", "A MAC address"),
    ("md5", "An MD5 hash"),
    ("mutex", "A mutex name"),
    ("regkey", "A Windows registry key"),
    ("sha1", "A SHA-1 hash"),
    ("sha256", "A SHA-256 hash"),
    ("sha512", "A SHA-512 hash"),
    ("ssdeep", "A fuzzy hash (ssdeep)"),
    ("url", "A URL"),
    ("user-agent", "An HTTP User-Agent"),
    ("vulnerability", "A reference to a vulnerability (CVE)"),
    ("yara", "A YARA signature"),
    ("IP", "An IP address (DFIR-IRIS v1)"),
    ("Domain", "A domain name (DFIR-IRIS v1)"),
    ("Hash", "A hash (DFIR-IRIS v1)"),
    ("File", "A file (DFIR-IRIS v1)"),
    ("Path", "A path (DFIR-IRIS v1)"),
    ("Account", "An account (DFIR-IRIS v1)"),
    ("Other", "Anything else"),
];

async fn seed(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut classes = Query::insert();
    classes.into_table(CaseClassifications::Table).columns([
        CaseClassifications::Id,
        CaseClassifications::Name,
        CaseClassifications::ExpandedName,
        CaseClassifications::Description,
    ]);
    for (i, (predicate, predicate_expanded, value, expanded, description)) in CLASSIFICATIONS.iter().enumerate() {
        classes.values_panic([
            (i as i64 + 1).into(),
            format!("{predicate}:{value}").into(),
            format!("{predicate_expanded}: {expanded}").into(),
            (*description).into(),
        ]);
    }
    m.exec_stmt(classes).await?;
    let mut categories = Query::insert();
    categories
        .into_table(EventCategories::Table)
        .columns([EventCategories::Id, EventCategories::Name]);
    for (i, name) in EVENT_CATEGORIES.iter().enumerate() {
        categories.values_panic([(i as i64 + 1).into(), (*name).into()]);
    }
    m.exec_stmt(categories).await?;
    let mut types = Query::insert();
    types
        .into_table(IocTypes::Table)
        .columns([IocTypes::Id, IocTypes::Name, IocTypes::Description]);
    for (i, (name, description)) in IOC_TYPES.iter().enumerate() {
        types.values_panic([(i as i64 + 1).into(), (*name).into(), (*description).into()]);
    }
    m.exec_stmt(types).await
}
