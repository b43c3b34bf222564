"""Plain-language check: find the architects' jargon in executive-facing text.

The glossary is the framework's "Technical Vocabulary". Each term carries a one-sentence definition
a CEO understands and a plain phrase to use instead. Flags are advice for the review step, never a
block; `terms_used` feeds the short glossary appended to the brief.

Matching rules (one combined regex, compiled once at import because the review step runs it on
every render):

- whole words only, case-insensitive: "API" is not found in "capital", "SLA" not in "slang";
- a space or hyphen between words matches either, so "roll back" also finds "roll-back";
- the last word takes its regular inflections ("rollbacks", "deployed", "caching", "retries");
  acronyms and codes ("SLA", "p99", "5xx") take only a plural "s";
- other spellings ("k8s", "SPOF", "rolled back") are listed on the term as `variants`;
- where spellings start at the same place, the longest wins ("read replica" over "replica").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    definition: str
    plain: str
    variants: tuple[str, ...] = ()
    # "on call" is also ordinary English ("relies on calls to the bank"); only its exact spellings
    # count as the term.
    inflect: bool = True
    # A word executives use themselves ("outage", "root cause": the brief's own headings say
    # them): defined in the brief's glossary when used, never flagged as jargon.
    everyday: bool = False

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.variants)


TERM_KIND = "technical term"
EVERYDAY = "everyday term"


@dataclass(frozen=True, slots=True)
class Flag:
    field: str
    # The glossary's term, or for a shape its kind with advice in the same form.
    term: Term
    fragment: str
    # What kind of thing the fragment is: "technical term" (from the glossary), "acronym",
    # "command", "file path", "code name with digits", ...
    kind: str = TERM_KIND


GLOSSARY: Final[tuple[Term, ...]] = (
    Term(
        "RCA",
        "A structured investigation into why an incident happened, so that it does not happen "
        "again.",
        "investigation into why it happened",
    ),
    Term(
        "root cause",
        "The underlying reason a problem happened, rather than its visible symptoms.",
        "underlying cause",
        everyday=True,
    ),
    Term(
        "rollback",
        "Undoing a recent change by returning the system to the last version that worked.",
        "returning to the previous working version",
        ("roll back", "rolled back", "rolling back", "rolls back"),
    ),
    Term(
        "hotfix",
        "A small, urgent fix released outside the normal release schedule.",
        "emergency fix",
        ("hot fix",),
    ),
    Term(
        "patch",
        "A small change to the software that fixes one specific problem.",
        "fix",
    ),
    Term(
        "deployment",
        "Putting a new version of our software onto the systems customers use.",
        "release of new software",
        ("deploy",),
    ),
    Term(
        "canary",
        "Releasing a change to a small share of customers first, to catch problems before everyone "
        "gets it.",
        "a trial release to a small group of customers",
    ),
    Term(
        "feature flag",
        "A switch that turns a feature on or off for customers without releasing new software.",
        "an on/off switch for a feature",
        ("feature toggle",),
    ),
    Term(
        "regression",
        "Something that used to work and broke because of a recent change.",
        "a recent change broke something that worked",
    ),
    Term(
        "configuration drift",
        "When a system's settings slowly stop matching what they should be, usually unnoticed.",
        "settings that no longer match what we intended",
        ("config drift",),
    ),
    Term(
        "p99",
        "The response time that 99 out of 100 requests beat: what our slowest 1% of customers "
        "experience.",
        "response time for the slowest 1% of requests",
        ("99th percentile",),
    ),
    Term(
        "p95",
        "The response time that 95 out of 100 requests beat: what our slowest 5% of customers "
        "experience.",
        "response time for the slowest 5% of requests",
        ("95th percentile",),
    ),
    Term(
        "latency",
        "How long the system takes to respond after a customer does something.",
        "response time",
    ),
    Term(
        "throughput",
        "How much work the system gets through per second, such as orders processed.",
        "orders (or requests) handled per second",
    ),
    Term(
        "timeout",
        "A request that was abandoned because the answer took too long.",
        "a request that took too long and was abandoned",
        ("time out", "timed out", "times out", "timing out"),
    ),
    Term(
        "retry",
        "Automatically trying a failed request again.",
        "trying again",
    ),
    Term(
        "5xx",
        "Error responses meaning our own servers failed to handle a request, not that the customer "
        "did something wrong.",
        "server errors",
        ("HTTP 500",),
    ),
    Term(
        "outage",
        "A period when a service is completely unavailable to customers.",
        "the service was down",
        everyday=True,
    ),
    Term(
        "degradation",
        "A period when a service still works but is slow or partly broken.",
        "the service was slow or partly down",
    ),
    Term(
        "degraded mode",
        "The service keeps running, but slower or with some features switched off.",
        "running with reduced service",
        ("degraded performance", "degraded state"),
    ),
    Term(
        "blast radius",
        "How much of the business a failure or a change can affect.",
        "how far the damage can spread",
    ),
    Term(
        "single point of failure",
        "One component whose failure takes the whole service down because nothing can take over "
        "for it.",
        "a part with no backup",
        ("SPOF", "single points of failure"),
    ),
    Term(
        "failover",
        "Switching automatically to a backup system when the main one fails.",
        "switching to the backup system",
        ("fail over", "failed over", "failing over", "fails over"),
    ),
    Term(
        "SLO",
        "An internal target for how reliable or fast a service must be, such as 99.9% of requests "
        "succeeding.",
        "our reliability target",
        ("service level objective",),
    ),
    Term(
        "SLA",
        "A contractual promise to customers about availability or response, often with penalties "
        "if we miss it.",
        "our contractual commitment to customers",
        ("service level agreement",),
    ),
    Term(
        "error budget",
        "How much failure our reliability target still allows before new releases must pause.",
        "remaining allowance for failures",
    ),
    Term(
        "uptime",
        "The share of time a service is available to customers, usually given as a percentage.",
        "time the service was available",
    ),
    Term(
        "MTTR",
        "The average time it takes us to restore service after something breaks.",
        "average time to fix",
        (
            "mean time to recovery",
            "mean time to repair",
            "mean time to restore",
            "mean time to resolve",
            "mean time to resolution",
        ),
    ),
    Term(
        "MTTD",
        "The average time between something breaking and us noticing it.",
        "average time to notice a problem",
        ("mean time to detect", "mean time to detection"),
    ),
    Term(
        "RTO",
        "Recovery time objective: the longest we have agreed a service may be down after a "
        "disaster.",
        "maximum acceptable downtime",
        ("recovery time objective",),
    ),
    Term(
        "RPO",
        "Recovery point objective: how much recent data we have agreed we can afford to lose in a "
        "disaster.",
        "maximum acceptable data loss",
        ("recovery point objective",),
    ),
    Term(
        "postmortem",
        "A written, blame-free review after an incident of what happened and what we will change.",
        "incident review",
        ("post mortem",),
    ),
    Term(
        "incident commander",
        "The one person in charge of coordinating the response to an incident.",
        "the person leading the response",
    ),
    Term(
        "runbook",
        "A written step-by-step procedure for handling a known kind of problem.",
        "the step-by-step response plan",
        ("run book",),
    ),
    Term(
        "on-call",
        "The engineer or team assigned to respond to problems at any hour.",
        "the engineer responsible right now",
        ("oncall",),
        inflect=False,
    ),
    Term(
        "SEV1",
        "The highest severity level for an incident: major customer or revenue impact that needs "
        "an all-hands response.",
        "top-severity incident",
        ("sev 1", "SEV0", "sev 0", "P0", "P1"),
    ),
    Term(
        "alerting threshold",
        "The level at which our monitoring warns engineers that something is wrong.",
        "the point at which we are warned",
        ("alert threshold",),
    ),
    Term(
        "cache",
        "A fast temporary copy of data kept close at hand so the system need not fetch it every "
        "time.",
        "temporary copy of data",
    ),
    Term(
        "CDN",
        "A network of servers around the world that delivers our website and images quickly to "
        "nearby customers.",
        "the network that delivers our website to customers",
        ("content delivery network",),
    ),
    Term(
        "DNS",
        "The internet's address book, which turns our web address into the location of our "
        "servers.",
        "the internet's address book",
        ("domain name system",),
    ),
    Term(
        "TLS certificate",
        "The digital certificate that proves our website is genuine; when it expires, browsers "
        "turn customers away.",
        "security certificate",
        ("SSL certificate", "TLS cert", "SSL cert"),
    ),
    Term(
        "DDoS",
        "An attack that floods our systems with fake traffic to knock them offline.",
        "a flood of malicious traffic",
        ("denial of service",),
    ),
    Term(
        "load balancer",
        "The component that spreads incoming customer traffic across many servers.",
        "traffic distributor",
        ("load balancing",),
    ),
    Term(
        "rate limiting",
        "Capping how many requests a customer or system can make in a given time.",
        "capping traffic",
        ("rate limit", "rate limiter", "throttle"),
    ),
    Term(
        "circuit breaker",
        "A safeguard that stops calling a failing system for a while so the failure does not "
        "spread.",
        "automatic safety cut-off",
    ),
    Term(
        "database replica",
        "A live copy of a database kept in step with the main one, used as a backup or to share "
        "the load.",
        "a copy of the database",
        ("read replica", "replica"),
    ),
    Term(
        "replication lag",
        "The delay before a copy of our data catches up with the original.",
        "delay in copying data",
    ),
    Term(
        "sharding",
        "Splitting a large database into smaller pieces kept on separate servers.",
        "splitting the database into parts",
        ("shard",),
    ),
    Term(
        "Kubernetes",
        "The system that runs and manages our software across many servers.",
        "the platform that runs our services",
        ("k8s",),
    ),
    Term(
        "pod",
        "One running copy of a piece of our software inside our hosting platform.",
        "a running copy of a service",
    ),
    Term(
        "container",
        "A packaged, self-contained unit of our software that can run on any server.",
        "packaged piece of software",
    ),
    Term(
        "microservice",
        "One of the many small, separate programs that together make up our product.",
        "one part of our system",
        ("micro service",),
    ),
    Term(
        "API",
        "The connection through which one piece of software asks another for data or actions.",
        "system connection",
        ("application programming interface",),
    ),
    Term(
        "endpoint",
        "One specific address on our systems that other software calls to get something done.",
        "a specific function of the service",
        ("end point",),
    ),
    Term(
        "dependency",
        "Another system or supplier that our service needs in order to work.",
        "a system we rely on",
    ),
    Term(
        "upstream",
        "The systems or suppliers our service relies on, whose problems flow down to us.",
        "the systems we rely on",
    ),
    Term(
        "downstream",
        "The systems or customers that rely on our service and feel its problems.",
        "the systems that rely on us",
    ),
    Term(
        "race condition",
        "A bug that only appears when two things happen at almost exactly the same moment.",
        "a timing bug",
    ),
    Term(
        "memory leak",
        "A bug that makes software use more and more memory until it slows down or crashes.",
        "a gradual build-up that crashes the system",
    ),
    Term(
        "deadlock",
        "Two processes each waiting for the other to finish, so neither ever does.",
        "a standstill between two processes",
    ),
    Term(
        "EC2",
        "Amazon's service for renting servers by the hour.",
        "rented cloud servers",
        ("EC2 instance",),
    ),
    Term(
        "EBS",
        "Amazon's service for the disks attached to rented cloud servers.",
        "cloud disk storage",
        ("elastic block store",),
    ),
    Term("S3", "Amazon's service for storing files online.", "cloud file storage", ("S3 bucket",)),
    Term(
        "Lambda",
        "Amazon's service for running small pieces of code without managing servers.",
        "cloud functions",
        ("AWS Lambda",),
    ),
    Term(
        "availability zone",
        "One of several separate data centres within a cloud provider's region.",
        "one of the provider's data centres",
    ),
    Term(
        "autoscaling",
        "Adding or removing servers automatically as demand rises and falls.",
        "automatic adding of capacity",
        ("auto scaling", "auto-scaling group", "autoscaler"),
    ),
    Term(
        "serverless",
        "Running software on a cloud provider's servers without managing any servers ourselves.",
        "run by the cloud provider",
    ),
    Term(
        "virtual machine",
        "A software copy of a computer running on a larger physical server.",
        "a server",
        ("VM",),
    ),
    Term(
        "hypervisor",
        "The software that runs many virtual servers on one physical machine.",
        "the software that runs our servers",
    ),
    Term(
        "control plane",
        "The part of a system that manages and configures it, as opposed to serving customers.",
        "the management system",
    ),
    Term(
        "data plane",
        "The part of a system that actually carries customer requests.",
        "the part that serves customers",
    ),
    Term(
        "object storage",
        "A cloud service that stores files, such as images and backups, at large scale.",
        "cloud file storage",
    ),
    Term(
        "block storage", "Cloud disks that servers use like their own hard drives.", "cloud disks"
    ),
    Term(
        "infrastructure as code",
        "Describing our servers and networks in files that tools use to build them automatically.",
        "automated set-up of our systems",
        ("IaC",),
    ),
    Term(
        "Terraform",
        "A tool that builds cloud servers and networks from written descriptions.",
        "our set-up tool",
    ),
    Term(
        "CI/CD",
        "The automated process that tests our software and releases it to customers.",
        "our automated release process",
        (
            "continuous integration",
            "continuous deployment",
            "continuous delivery",
            "CI pipeline",
            "CD pipeline",
            "build pipeline",
            "deployment pipeline",
        ),
    ),
    Term(
        "container registry",
        "The store that holds packaged versions of our software ready to run.",
        "software store",
    ),
    Term(
        "Docker",
        "A tool that packages software so it runs the same way on any server.",
        "our software packaging tool",
    ),
    Term(
        "service mesh",
        "Software that manages how our many internal services talk to each other.",
        "the system connecting our services",
    ),
    Term(
        "sidecar",
        "A small helper program that runs alongside each copy of a service.",
        "a helper program",
    ),
    Term(
        "ingress",
        "The entry point that lets outside traffic reach services inside our platform.",
        "the way in for customer traffic",
    ),
    Term(
        "egress",
        "Data leaving our systems for the internet, which cloud providers often charge for.",
        "outgoing data",
    ),
    Term(
        "VPC",
        "Our private, walled-off network inside a cloud provider.",
        "our private cloud network",
        ("virtual private cloud",),
    ),
    Term(
        "subnet",
        "A smaller section of a network, used to group and separate servers.",
        "part of our network",
    ),
    Term(
        "cold start",
        "The delay while a service starts from scratch before it can answer the first request.",
        "start-up delay",
    ),
    Term(
        "spot instance",
        "A cheap rented cloud server that the provider can take back at short notice.",
        "a cheap, interruptible server",
    ),
    Term(
        "multi-region",
        "Running in several places at once, so that one failing place does not stop the service.",
        "in several locations",
    ),
    Term(
        "point of presence",
        "One of a network provider's locations close to customers.",
        "a local network location",
    ),
    Term(
        "anycast",
        "Routing that sends each customer to the nearest of many servers sharing one address.",
        "routing to the nearest server",
    ),
    Term(
        "edge server",
        "A server close to customers, in one of a network's local sites, so it answers quickly.",
        "a server near customers",
        ("edge network", "edge node", "edge location", "edge fleet"),
    ),
    Term(
        "origin server",
        "Our own server that holds the real content behind a delivery network.",
        "our main web server",
    ),
    Term("node", "One server in a group of servers working together.", "a server"),
    Term(
        "staging",
        "A copy of our systems used for testing before changes reach customers.",
        "our test environment",
        ("staging environment", "staging server"),
    ),
    Term(
        "SRE",
        "Site reliability engineering: the engineers who keep our services running reliably.",
        "the reliability team",
        ("site reliability engineering", "site reliability engineer"),
    ),
    Term(
        "DevOps",
        "The practice, and often the team, that builds and runs our software together.",
        "the team that runs our systems",
    ),
    Term(
        "SQL",
        "The language used to ask a database for data or to change it.",
        "database commands",
        ("SQL query", "database query"),
    ),
    Term(
        "NoSQL", "A family of databases that store data without fixed tables.", "a type of database"
    ),
    Term(
        "schema",
        "The structure of a database: which tables and fields it holds.",
        "the database's structure",
        ("database schema",),
    ),
    Term(
        "schema migration",
        "A change to the structure of a database, applied as part of a release.",
        "a change to the database's structure",
        ("database migration", "data migration"),
    ),
    Term(
        "data directory",
        "The folder on a server where a database keeps all of its data.",
        "the database's files",
        ("data dir",),
    ),
    Term(
        "replication",
        "Copying data continuously from one database to another so a spare copy is always ready.",
        "keeping a live copy of the data",
        ("streaming replication",),
    ),
    Term(
        "primary database",
        "The main database that accepts all changes, which copies follow.",
        "the main database",
        ("database primary", "primary node"),
    ),
    Term(
        "hot standby",
        "A spare copy of a database kept running and up to date, ready to take over.",
        "the spare database",
        ("standby database", "standby server", "warm standby"),
    ),
    Term(
        "write-ahead log",
        "The database's running record of every change, used to copy and recover data.",
        "the database's change record",
        ("WAL",),
    ),
    Term(
        "point-in-time recovery",
        "Restoring a database exactly as it was at a chosen moment.",
        "restoring data to a chosen moment",
        ("PITR",),
    ),
    Term(
        "connection pool",
        "A set of database connections kept open and shared to save time.",
        "shared database connections",
        ("connection pooling",),
    ),
    Term(
        "query plan",
        "The steps a database chooses in order to answer a request for data.",
        "how the database finds data",
        ("execution plan",),
    ),
    Term(
        "stored procedure",
        "A small program kept and run inside the database.",
        "a database program",
    ),
    Term(
        "foreign key",
        "A link between two database tables that keeps their records consistent.",
        "a link between records",
    ),
    Term(
        "table lock",
        "A database holding a table closed to others while one change finishes.",
        "data held closed during a change",
        ("row lock", "lock contention"),
    ),
    Term(
        "split brain",
        "Two copies of a system each believing it is in charge, so data diverges.",
        "two systems in conflict",
    ),
    Term(
        "eventual consistency",
        "Copies of data that agree only after a short delay.",
        "data that takes a moment to update everywhere",
        ("eventually consistent",),
    ),
    Term(
        "leader election",
        "How a group of servers chooses which one is in charge.",
        "choosing the server in charge",
    ),
    Term(
        "message queue",
        "A waiting line of tasks passed from one system to another.",
        "a task queue",
        ("message broker",),
    ),
    Term(
        "Kafka", "A system that passes streams of events between our services.", "our event system"
    ),
    Term(
        "Redis",
        "A fast in-memory data store we use for temporary data.",
        "our fast temporary store",
    ),
    Term(
        "Elasticsearch",
        "The search engine software behind our search features.",
        "our search engine",
    ),
    Term(
        "PostgreSQL",
        "The database software that stores our main data.",
        "our database",
        ("Postgres",),
    ),
    Term("MySQL", "A widely used database software.", "our database"),
    Term(
        "cron job",
        "A task a server runs automatically on a fixed schedule.",
        "a scheduled task",
        ("cron", "cronjob"),
    ),
    Term("batch job", "A large task run in one go, often overnight.", "a scheduled bulk task"),
    Term(
        "ETL",
        "Moving data out of one system, reshaping it and loading it into another.",
        "data transfer between systems",
        ("extract, transform, load",),
    ),
    Term(
        "LVM",
        "Software that manages a server's disks and can take quick copies of them.",
        "disk management",
        ("logical volume",),
    ),
    Term(
        "ORM",
        "Code that translates between our software and the database.",
        "our database layer",
        ("object-relational mapping",),
    ),
    Term(
        "BGP",
        "The system internet networks use to tell each other how to reach addresses.",
        "internet routing",
        ("border gateway protocol",),
    ),
    Term(
        "TCP",
        "The basic rules computers use to send data reliably over the internet.",
        "internet connections",
        ("TCP/IP",),
    ),
    Term(
        "UDP",
        "A fast but unreliable way for computers to send data over the internet.",
        "internet data transfer",
    ),
    Term(
        "HTTP",
        "The language web browsers and servers use to talk to each other.",
        "web requests",
        ("HTTPS",),
    ),
    Term(
        "IP address",
        "The number that identifies a computer on a network.",
        "network address",
        ("IPv4", "IPv6"),
    ),
    Term(
        "packet loss",
        "Pieces of data lost on the way across a network.",
        "data lost on the network",
        ("dropped packets",),
    ),
    Term(
        "proxy",
        "A server that passes requests on to another server on someone's behalf.",
        "a relay server",
        ("reverse proxy", "proxying", "proxied"),
    ),
    Term(
        "router",
        "A device that directs network traffic towards its destination.",
        "network equipment",
    ),
    Term(
        "API gateway",
        "The front door that all outside requests to our systems go through.",
        "the entry point to our systems",
    ),
    Term(
        "DNS resolver",
        "The service that looks up web addresses for computers.",
        "address lookup service",
    ),
    Term(
        "TTL",
        "How long a stored answer, such as an address lookup, is kept before it is checked again.",
        "how long a setting takes to update",
        ("time to live",),
    ),
    Term(
        "NAT",
        "Sharing one public network address among many servers.",
        "address sharing",
        ("network address translation",),
    ),
    Term(
        "VPN",
        "An encrypted private connection over the internet.",
        "secure private connection",
        ("virtual private network",),
    ),
    Term(
        "route leak",
        "A network wrongly claiming to be the way to addresses that are not its own.",
        "traffic sent the wrong way",
    ),
    Term(
        "MTU", "The largest piece of data a network link carries in one go.", "network size limit"
    ),
    Term(
        "websocket",
        "A connection that stays open so a server can send updates instantly.",
        "a live connection",
        ("web socket",),
    ),
    Term(
        "gRPC",
        "A way for our internal services to call each other quickly.",
        "internal service calls",
    ),
    Term(
        "webhook",
        "A message one system sends another automatically when something happens.",
        "an automatic notification",
        ("web hook",),
    ),
    Term(
        "I/O",
        "Reading and writing data to disks or the network.",
        "reading and writing data",
        ("disk I/O", "IOPS"),
    ),
    Term(
        "TLS",
        "The encryption that protects data sent over the internet.",
        "encryption",
        ("SSL", "TLS handshake", "SSL handshake"),
    ),
    Term(
        "WAF",
        "A filter in front of our website that blocks known kinds of attack.",
        "the website's attack filter",
        ("web application firewall", "WAF rule", "firewall rule"),
    ),
    Term(
        "XSS",
        "An attack that slips harmful code into web pages other people view.",
        "an attack through web pages",
        ("cross-site scripting",),
    ),
    Term(
        "SQL injection",
        "An attack that tricks a website into running the attacker's database commands.",
        "an attack on the database",
        ("SQLi",),
    ),
    Term(
        "CSRF",
        "An attack that tricks a logged-in user's browser into acting without their consent.",
        "a forged request attack",
        ("cross-site request forgery",),
    ),
    Term(
        "zero-day",
        "A security hole that attackers know about before a fix exists.",
        "an unfixed security hole",
        ("0-day",),
    ),
    Term(
        "CVE", "A publicly catalogued security weakness in software.", "a known security weakness"
    ),
    Term(
        "penetration test",
        "An authorised simulated attack to find security weaknesses.",
        "security test",
        ("pentest", "pen test"),
    ),
    Term(
        "MFA",
        "Logging in with a second proof of identity, such as a code on a phone.",
        "two-step login",
        ("2FA", "multi-factor authentication", "two-factor authentication"),
    ),
    Term(
        "SSO", "One login that gives access to many systems.", "single login", ("single sign-on",)
    ),
    Term(
        "OAuth",
        "A standard way to let one system act for a user in another without their password.",
        "delegated login",
    ),
    Term(
        "IAM",
        "The rules for who and what may access which of our systems.",
        "access permissions",
        ("identity and access management",),
    ),
    Term(
        "privilege escalation",
        "An attacker or a bug gaining more access rights than it should have.",
        "gaining unauthorised access",
    ),
    Term(
        "access key",
        "A secret code that lets software use our cloud or other systems.",
        "secret access code",
        ("API key", "secret key", "access token", "API token"),
    ),
    Term(
        "credential stuffing",
        "Attackers trying passwords stolen elsewhere on our login page.",
        "attacks with stolen passwords",
    ),
    Term(
        "brute force",
        "Guessing passwords or codes by trying very many possibilities.",
        "mass password guessing",
        ("brute-force attack",),
    ),
    Term(
        "botnet", "A network of hijacked computers used together for attacks.", "hijacked computers"
    ),
    Term("SIEM", "The system that gathers security logs to spot attacks.", "security monitoring"),
    Term(
        "intrusion detection",
        "Monitoring that spots attackers inside our systems.",
        "attack detection",
    ),
    Term(
        "encryption at rest",
        "Scrambling stored data so it is useless if stolen.",
        "protection of stored data",
    ),
    Term(
        "vulnerability scan",
        "An automated check of our systems for known security weaknesses.",
        "security check",
        ("vulnerability scanner",),
    ),
    Term(
        "regex",
        "A compact pattern software uses to search and match text.",
        "text-matching rule",
        ("regular expression", "regexp"),
    ),
    Term(
        "catastrophic backtracking",
        "A text-matching rule that, on some inputs, takes an enormous amount of computing time.",
        "a rule that overloaded the computers",
    ),
    Term(
        "CPU",
        "The processor that does a computer's work; at 100% it cannot take more.",
        "computing power",
    ),
    Term("RAM", "A computer's short-term working memory.", "memory"),
    Term(
        "OOM",
        "A program crashing because the computer ran out of memory.",
        "the program ran short of memory",
        ("out of memory", "OOM killer", "OOMKilled"),
    ),
    Term("kernel", "The core of a computer's operating system.", "the operating system"),
    Term(
        "garbage collection",
        "A program pausing to clean up memory it no longer uses.",
        "memory clean-up pauses",
        ("GC pause",),
    ),
    Term(
        "stack trace",
        "The technical record of where in the code an error happened.",
        "error details",
    ),
    Term(
        "null pointer",
        "A program trying to use data that is not there, which usually crashes it.",
        "a programming error",
        ("null pointer exception", "NPE"),
    ),
    Term(
        "segfault",
        "A program crashing because it touched memory it should not.",
        "a crash",
        ("segmentation fault",),
    ),
    Term(
        "idempotent",
        "Safe to repeat: doing it twice has the same effect as doing it once.",
        "safe to repeat",
    ),
    Term(
        "exponential backoff",
        "Waiting longer and longer between retries so a struggling system can recover.",
        "spacing out repeat attempts",
        ("backoff",),
    ),
    Term(
        "thundering herd",
        "Many clients retrying at the same moment and overwhelming a recovering system.",
        "a surge of repeat attempts",
    ),
    Term(
        "cascading failure",
        "One failure causing others in turn, spreading through the system.",
        "a chain of failures",
        ("cascade failure",),
    ),
    Term(
        "retry storm",
        "So many automatic retries that they overload the system further.",
        "a flood of repeat attempts",
    ),
    Term(
        "health check",
        "An automatic test that a service is alive and answering.",
        "automatic availability check",
        ("healthcheck",),
    ),
    Term(
        "observability",
        "How well we can see what our systems are doing from the outside.",
        "visibility into our systems",
    ),
    Term(
        "telemetry",
        "Measurements our systems send automatically about how they are running.",
        "system measurements",
    ),
    Term(
        "distributed tracing",
        "Following a single request across all the services it touches.",
        "request tracking",
    ),
    Term(
        "alert fatigue",
        "So many alerts that engineers start missing the important ones.",
        "too many alarms",
    ),
    Term(
        "merge request",
        "A proposed code change submitted for review.",
        "a proposed change",
        ("pull request",),
    ),
    Term(
        "repository",
        "The store where our code and its history are kept.",
        "code store",
        ("git repository",),
    ),
    Term(
        "monolith",
        "One large program that does everything, rather than many small services.",
        "one large system",
    ),
    Term(
        "technical debt",
        "Shortcuts taken earlier that now slow us down or add risk.",
        "old shortcuts we must fix",
        ("tech debt",),
    ),
    Term(
        "blue-green deployment",
        "Running the old and new versions side by side and switching customers over at once.",
        "switching to the new version in one step",
        ("blue/green",),
    ),
    Term(
        "dark launch",
        "Releasing a feature switched off, so it can be tested before customers see it.",
        "hidden release",
    ),
    Term(
        "daemon",
        "A program that runs continuously in the background on a server.",
        "a background program",
    ),
    Term(
        "SSH",
        "A secure way for engineers to log in to servers remotely.",
        "remote login",
        ("SSH session",),
    ),
    Term(
        "root access",
        "Full administrator rights on a server.",
        "full control of the server",
        ("root user", "superuser", "sudo"),
    ),
    Term(
        "bare metal", "Physical servers used directly, without a virtual layer.", "physical servers"
    ),
    Term("firmware", "The built-in software that runs hardware devices.", "device software"),
    Term(
        "server cluster",
        "A group of servers working together as one system.",
        "group of servers",
        ("database cluster", "compute cluster"),
    ),
    Term(
        "container orchestration",
        "Software that starts, stops and places our services on servers automatically.",
        "automatic management of our services",
        ("orchestrator",),
    ),
    Term(
        "infra",
        "The servers, networks and cloud services our software runs on.",
        "our computer systems",
        (),
        inflect=False,
    ),
    Term(
        "unhandled exception",
        "An error the program did not expect and could not deal with.",
        "an unexpected error",
        ("exception handling", "uncaught exception"),
    ),
    Term(
        "thread pool",
        "A fixed set of workers inside a program that share its tasks.",
        "the program's workers",
    ),
    Term(
        "network partition",
        "A break in the network that splits our servers into groups that cannot reach each other.",
        "a network split",
        ("partitioned network",),
    ),
    Term(
        "quorum",
        "The minimum number of servers that must agree before a group of them can act.",
        "the majority the servers need to agree",
    ),
    Term(
        "Memcached",
        "A fast temporary store that keeps copies of data in memory.",
        "our fast temporary store",
    ),
    Term(
        "boot loop",
        "A computer that crashes while starting up, restarts, and crashes again, over and over.",
        "computers stuck restarting",
    ),
    Term(
        "named pipe",
        "A channel through which two programs on the same computer pass data to each other.",
        "a channel between programs",
    ),
    Term(
        "name server",
        "A server that answers the internet's lookups of our web addresses.",
        "the address lookup servers",
        ("nameserver", "DNS server", "authoritative name server"),
    ),
    Term(
        "backend",
        "The servers and software behind the scenes that do the work customers do not see.",
        "our servers",
        ("back end", "back-end server", "backend server"),
    ),
    Term(
        "frontend",
        "The part of our software customers see and use: the website or the app.",
        "the website and app",
        ("front end",),
    ),
    Term(
        "provisioning",
        "Setting up new servers or accounts so they are ready to use.",
        "setting up servers",
        ("provisioning service",),
    ),
    Term(
        "spin up",
        "Start a new server or service.",
        "start",
        ("spun up", "spinning up", "spins up"),
    ),
    Term(
        "dogfooding",
        "Using our own product internally before customers get it.",
        "trying it ourselves first",
        ("dogfood",),
    ),
    Term("binaries", "Programs in the form the computer runs.", "program files", (), inflect=False),
)

_SEPARATOR = r"[\s\-\u2010\u2011]+"


def _word_pattern(word: str, *, inflect: bool) -> str:
    stem = re.escape(word)
    if not inflect:
        return stem
    if not (word.isalpha() and word.islower()):
        # Acronyms and codes: "SLAs", "APIs"; never "SLAed".
        return stem + "s?"
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e[sd]?|ing)"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return re.escape(word[:-1]) + "(?:y|ying|ies|ied)"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return stem + "(?:es|ed|ing)?"
    return stem + "(?:s|ed|ing)?"


def _spelling_pattern(spelling: str, *, inflect: bool) -> str:
    *words, last = re.split(_SEPARATOR, spelling)
    return _SEPARATOR.join(
        [*(re.escape(word) for word in words), _word_pattern(last, inflect=inflect)]
    )


def _compile(glossary: Iterable[Term]) -> tuple[re.Pattern[str], dict[str, Term]]:
    term_by_group: dict[str, Term] = {}
    term_by_spelling: dict[str, Term] = {}
    spellings: list[tuple[str, Term]] = []
    for term in glossary:
        for spelling in term.spellings:
            if not (spelling[:1].isalnum() and spelling[-1:].isalnum()):
                raise ValueError(f"{spelling!r} must start and end with a letter or digit")
            key = " ".join(re.split(_SEPARATOR, spelling.casefold()))
            if key in term_by_spelling:
                other = term_by_spelling[key].term
                raise ValueError(f"{spelling!r} belongs to both {other!r} and {term.term!r}")
            term_by_spelling[key] = term
            spellings.append((spelling, term))
    # Alternation takes the first alternative that matches, so longest spellings go first: "read
    # replica" wins over "replica". Spellings that start at the same place share a first character,
    # hence land in the same bucket below, which keeps this order.
    spellings.sort(key=lambda pair: len(pair[0]), reverse=True)
    # Bucketing by first character lets the engine skip most alternatives at each word start:
    # about seven times faster than one flat alternation.
    buckets: dict[str, list[str]] = {}
    for spelling, term in spellings:
        group = f"s{len(term_by_group)}"
        term_by_group[group] = term
        first = re.escape(spelling[0])
        rest = _spelling_pattern(spelling, inflect=term.inflect).removeprefix(first)
        buckets.setdefault(spelling[0].casefold(), []).append(f"(?P<{group}>{rest})")
    body = "|".join(
        f"{re.escape(first)}(?:{'|'.join(alternatives)})" for first, alternatives in buckets.items()
    )
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE), term_by_group


_PATTERN, _TERM_BY_GROUP = _compile(GLOSSARY)


def _first_matches(text: str) -> list[tuple[Term, str]]:
    found: dict[Term, str] = {}
    for match in _PATTERN.finditer(text):
        term = _TERM_BY_GROUP[match.lastgroup or ""]
        found.setdefault(term, match.group())
    return list(found.items())


def find_jargon(text: str) -> list[Term]:
    """Glossary terms in `text`, each once, in order of first appearance."""
    return [term for term, _ in _first_matches(text)]


# --- Shapes: the technical tokens no glossary can list -------------------------------------------
#
# A server called db1, a region us-east-1, a flag -rf, a path /var/opt/data: each is recognised by
# its form. Every shape has a kind (what the CEO is looking at) and advice in the same Term form
# as the glossary, so the review step shows both alike. The patterns are tuned for precision on
# plain business English: a CEO's own words (CEO, Q3, 10am, 24/7, $48k, 1st, COVID-19) never match.


@dataclass(frozen=True, slots=True)
class Shape:
    kind: str
    pattern: re.Pattern[str]
    advice: Term
    # A second look at a match: False when it is plain after all.
    keep: Callable[[str], bool] | None = None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitals that plain business English uses: titles, places, currencies, time zones, units,
# regulators, common business terms, and words written in capitals for emphasis.
PLAIN_CAPITALS: Final[frozenset[str]] = _words(
    """CEO CFO CTO COO CIO CISO CMO CRO CPO CHRO VP SVP EVP GM MD HR PR IT IR QA OKR OKRS KPI KPIS
    ROI P&L EBITDA CAGR ARR MRR GMV B2B B2C IPO M&A R&D NDA LOI MOU SOW RFP RFQ PO SKU CRM ERP
    SME SMB FAQ ASAP FYI TBD TBC ETA EOD COB AOB NB PS RSVP ID PIN OK AM PM AI TV PC UK US USA EU
    UN UAE EMEA APAC LATAM NA NYC LA SF DC UTC GMT BST CET CEST EET EST EDT CST CDT MST MDT PST PDT
    ET PT CT MT IST JST AEST AEDT USD EUR GBP JPY CHF CAD AUD SEK INR BRL CNY HKD SGD NZD NOK DKK
    KB MB GB TB PB GDPR CCPA HIPAA SOX SEC FTC FCA ICO FBI NHS BBC CNN NASA IBM AWS SAP HP
    LLC LLP INC LTD PLC AG SA GMBH CO CORP PDF CSV NGO MBA PHD CV II III IV VI VII VIII IX
    XI XII COVID A I NO NOT ALL ANY AND OR THE IS ARE WAS WILL CAN MUST NEVER ONLY NOW NEW
    DO DONT STOP URGENT IMPORTANT NOTE WARNING UPDATE FINAL YES ON OFF UP DOWN OUT FOR OF
    TO IN AT BY WE"""
)
_PLAIN_CODES = re.compile(
    r"(?:Q[1-4]|H[12]|FY\d{2,4}|[345]G|[348]K|3D|24x7|B2[BC]|B2B2C|COVID-19|Y2K|\d{1,2}-\w{3}-\d{2,4})",
    re.IGNORECASE,
)
# A number with a unit or an ordinal: 10am, 30s, 1990s, 300GB, $48k, 2x, 21st.
_NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:[.,]\d+)*(?:k|m|bn|b|x|s|ms|h|hrs?|mins?|secs?|am|pm|st|nd|rd|th|[kmgtp]b|gbps|mbps"
    r"|kg|km|mi|ft|lbs?|d|w|wk|wks|y|yrs?|mo|mos|ppm|bps|p)",
    re.IGNORECASE,
)
_STATUS_PLURAL = re.compile(r"[1-5]\d\ds")
# 73-hour, 6-hour-old, 2-step: a number made into an adjective.
_NUMBER_COMPOUND = re.compile(r"\d+(?:[.,]\d+)?(?:-[a-z]+)+")
# Product names ending in capitals that business people know; BoltDB and GraphQL they do not.
_PLAIN_PRODUCTS = frozenset({"iOS", "macOS", "iPadOS", "watchOS", "tvOS", "OpenAI", "PhD"})

_HTTP_METHODS = "GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS"
_PRODUCTS = (
    "Python|Java|Node|Ruby|PHP|Perl|Rust|Redis|Kafka|Docker|Kubernetes|Elasticsearch|Terraform|"
    "Linux|Ubuntu|Debian|CentOS|RHEL|Windows|Android|Chrome|Firefox|Nginx|Apache|OpenSSL|Postgres|"
    "Django|Rails|React|Angular|Spring|Hadoop|Spark|Cassandra|Consul|Nomad|Vault|Java|Go|Kernel"
)
# Commands that are never ordinary English words.
_COMMANDS = (
    "sudo|rm|rmdir|chmod|chown|kubectl|systemctl|journalctl|ssh|scp|rsync|psql|mysqldump|"
    "pg_dump|pg_restore|pg_basebackup|pg_ctl|terraform|ansible|curl|wget|grep|awk|sed|iptables|"
    "crontab|gcloud|nslookup|traceroute|netstat|tcpdump|strace|ls|cd|mkdir|mv|cp|dd|mkfs|umount|"
    "fsck|nohup|chroot|tail -f"
)
# Commands that are also words ("make", "kill", "top"): only with a flag or a path after them.
_WORD_COMMANDS = "docker|git|kill|killall|make|mount|service|top|helm|aws|az|npm|pip|apt|yum|brew"
_ARGUMENTS = r"(?:\s+(?:--?[A-Za-z0-9][\w=.-]*|[~.]?/[\w.@%+/-]*[\w/]))"
_CODE_SUFFIXES = (
    "Exception|Error|Timeout|Handler|Manager|Controller|Factory|Pool|Client|Config|Queue|Worker|"
    "Listener|Provider|Adapter|Builder|Helper|Utils?|Impl|Interface|Proxy|Cache|Store|Request|"
    "Response|Stream|Buffer|Thread|Scheduler|Service|Server|Loader|Parser|Wrapper|Module|Exporter"
)


def _acronym_is_jargon(fragment: str) -> bool:
    word = fragment.removesuffix("s") if fragment[-1:] == "s" else fragment
    return not all(part in PLAIN_CAPITALS for part in word.split("/"))


def _mixed_is_jargon(fragment: str) -> bool:
    if _PLAIN_CODES.fullmatch(fragment) or _NUMBER_COMPOUND.fullmatch(fragment):
        return False
    if _STATUS_PLURAL.fullmatch(fragment):
        return True
    return not _NUMBER_WITH_UNIT.fullmatch(fragment)


def _shape(kind: str, pattern: str, definition: str, plain: str, **options: Any) -> Shape:
    keep = options.pop("keep", None)
    flags = options.pop("flags", 0)
    return Shape(kind, re.compile(pattern, flags), Term(kind, definition, plain), keep)


SHAPES: Final[tuple[Shape, ...]] = (
    _shape(
        "web address",
        r"\bhttps?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]",
        "A web address, which means little when read aloud.",
        "name the page or service instead",
    ),
    _shape(
        "command",
        rf"(?<![\w/.-])(?:sudo\s+)?(?:{_COMMANDS})(?![\w-]){_ARGUMENTS}*"
        rf"|(?<![\w/.-])(?:sudo\s+)?(?:{_WORD_COMMANDS})(?:\s+[a-z][\w-]*)?{_ARGUMENTS}+",
        "A command typed by an engineer on a server.",
        "say what it did, such as “deleted the files”",
    ),
    _shape(
        "command-line flag",
        r"(?<![\w-])--[A-Za-z][\w-]*(?:=\S+)?|(?<=\s)-[A-Za-z]{1,3}(?=[\s,;.)]|$)",
        "An option typed after a command, which changes what the command does.",
        "say what the command did, such as “without asking for confirmation”",
    ),
    _shape(
        "file path",
        r"(?<![\w.:/])(?:~|\.{1,2})?(?:/[\w@%+-]+(?:\.[\w@%+-]+)*){2,}/?"
        r"|\b[A-Z]:\\[\w\\. -]+",
        "The location of a file on a server.",
        "say what the file is, such as “the database files”",
    ),
    _shape(
        "file name",
        r"\b[\w-]+\.(?:ya?ml|json|conf|cfg|ini|sh|py|rb|go|js|ts|java|sql|log|xml|toml|tf|env|pem"
        r"|crt|lock|jar|dll|exe|so|bin|tar|gz|tgz|rpm|deb)\b",
        "The name of a file on a server.",
        "say what the file holds, such as “the settings”",
    ),
    _shape(
        "host name",
        r"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.){2,}[a-z]{2,}\b(?::\d{2,5})?"
        r"|\b[a-z0-9][\w-]*\.(?:internal|local|lan|corp|intra|svc|cluster)\b"
        r"|\b[a-z][\w-]*[a-z0-9]:\d{2,5}\b",
        "The network name of a server.",
        "say which system it is, such as “the main database server”",
        flags=re.IGNORECASE,
        keep=lambda fragment: not fragment.casefold().startswith("www."),
    ),
    _shape(
        "IP address",
        r"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b",
        "A numeric network address of a server.",
        "say which system it is",
    ),
    _shape(
        "version number",
        r"(?<![\w.])v\d+(?:\.\d+)*\b|(?<![\w.])\d+\.\d+\.\d+(?![\w.]*\d)",
        "A software version number.",
        "“an older version”, or “the version from March”",
        flags=re.IGNORECASE,
    ),
    _shape(
        "code",
        r"`[^`\n]+`|(?<!\S)(?=(?:\S*?[*(){}\[\]=<>|\\^]){3})\S+",
        "A piece of code or a pattern written for computers.",
        "describe what it does in plain words",
    ),
    _shape(
        "version number",
        # Only the number after a product's name is flagged: "PostgreSQL 9.6", not "up 9.6%".
        rf"\b(?:[A-Za-z]*[a-z][A-Z][A-Za-z]*|{_PRODUCTS}|[Vv]ersions?|[Rr]elease|[Bb]uild)\s+"
        r"(?P<flagged>v?\d+\.\d+(?:\.\d+)*)\b"
        r"(?![.,]?\d|\s*(?:%|percent|million|billion|thousand))",
        "A software version number.",
        "“an older version”, or “the version from March”",
    ),
    _shape(
        "HTTP method",
        rf"\b(?:{_HTTP_METHODS})(?:/(?:{_HTTP_METHODS}))*\b(?:\s+requests?)?",
        "A type of web request, such as reading (GET) or saving (PUT) data.",
        "“requests to read or save data”",
    ),
    _shape(
        "HTTP status code",
        r"\b(?:HTTP\s*)?[1-5]\d\ds\b"
        r"|\b[1-5](?:\d|x)x\b"
        r"|\b(?:HTTP|errors?|status(?:es)?|codes?)\s+[1-5]\d\d\b"
        r"|\b[1-5]\d\d(?=\s+(?:errors?|responses?|status|codes?|error pages?|Bad Gateway"
        r"|Service Unavailable|Gateway Timeout|Internal Server Error|Not Found|Forbidden"
        r"|Unauthorized|Too Many Requests)\b)",
        "A numeric code a web server sends back; 5xx codes mean our servers failed.",
        "“errors” or “error pages”",
        flags=re.IGNORECASE,
    ),
    _shape(
        "snake_case name",
        r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b",
        "An internal name from code, a setting or a tool.",
        "say what it does, such as “the connection limit setting”",
    ),
    _shape(
        "camelCase name",
        rf"\b[a-z]{{2,}}(?:[A-Z][a-z0-9]*)+\b|\b(?:[A-Z][a-z0-9]+)+(?:{_CODE_SUFFIXES})\b"
        r"|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+){2,}\b|\b[A-Z]?[a-z]{2,}[A-Z]{2,}\b",
        "An internal name from code, or the name of an engineers' product.",
        "say what it does in plain words",
        keep=lambda fragment: fragment not in _PLAIN_PRODUCTS,
    ),
    _shape(
        "code name with digits",
        r"(?<![\w.$€£¥:/+-])(?=[A-Za-z0-9._-]*\d)(?=[A-Za-z0-9._-]*[A-Za-z])"
        r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*\b(?!\.\d)",
        "An engineers' name or code (a server, a region, a product, a measure) that means nothing "
        "outside the team.",
        "say what it is, such as “the main database” or “our US East data centre”",
        keep=_mixed_is_jargon,
    ),
    _shape(
        "acronym",
        r"(?<![\w&./'’-])[A-Z]{2,}(?:/[A-Z]{2,})*s?(?![\w&/-])",
        "An abbreviation that people outside engineering may not know.",
        "spell out what it stands for, in plain words",
        keep=_acronym_is_jargon,
    ),
)


def _shouted(text: str, start: int, end: int) -> bool:
    """Whether the match sits in a sentence written in capitals ("DO NOT RESTART"): emphasis."""
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    right = min(x for x in (text.find(".", end), text.find("\n", end), len(text)) if x >= 0)
    letters = [c for c in text[left:right] if c.isalpha()]
    return len(letters) > 12 and sum(c.isupper() for c in letters) > 0.7 * len(letters)


def _candidates(text: str) -> list[tuple[int, int, int, Term, str]]:
    """(start, end, rank, advice, kind) for every glossary term and shape found in `text`."""
    found = [
        (m.start(), m.end(), 0, _TERM_BY_GROUP[m.lastgroup or ""], TERM_KIND)
        for m in _PATTERN.finditer(text)
    ]
    # An everyday term still claims its words, so that no shape flags them instead.
    found = [c if not c[3].everyday else (*c[:4], EVERYDAY) for c in found]
    for rank, shape in enumerate(SHAPES, start=1):
        for match in shape.pattern.finditer(text):
            fragment = match.group()
            if shape.keep is not None and not shape.keep(fragment):
                continue
            if shape.kind in {"acronym", "code name with digits"} and _shouted(
                text, match.start(), match.end()
            ):
                continue
            # A pattern may match some context around what it flags ("PostgreSQL 9.6").
            group = (
                "flagged" if match.re.groupindex.get("flagged") and match.group("flagged") else 0
            )
            start, end = match.span(group)
            found.append((start, end, rank, shape.advice, shape.kind))
    return found


def find_flags(text: str, field: str = "") -> list[Flag]:
    """Every glossary term and technical shape in `text`, in order, each said once.

    Where matches overlap, the one starting first wins, then the longer, then the glossary (its
    definition is more precise than a shape's): "rm -rf /var/data" is one command, not a command
    and a path; "p99" is the glossary's term, not a code name.
    """
    flags: list[Flag] = []
    seen: set[object] = set()
    end = 0
    for start, stop, _, advice, kind in sorted(
        _candidates(text), key=lambda c: (c[0], -(c[1] - c[0]), c[2])
    ):
        if start < end:
            continue
        end = stop
        if kind == EVERYDAY:
            continue
        fragment = text[start:stop]
        key = advice if kind == TERM_KIND else (kind, fragment.casefold())
        if key in seen:
            continue
        seen.add(key)
        flags.append(Flag(field=field, term=advice, fragment=fragment, kind=kind))
    return flags


def check_texts(texts: Mapping[str, str]) -> list[Flag]:
    """Advice for each field (label -> executive-facing text), with the fragment as written."""
    return [flag for label, text in texts.items() for flag in find_flags(text, label)]


def terms_used(texts: Iterable[str]) -> list[Term]:
    """Distinct terms across `texts`, alphabetical: the glossary appended to the brief."""
    used = {term for text in texts for term in find_jargon(text)}
    return sorted(used, key=lambda term: (term.term.casefold(), term.term))
