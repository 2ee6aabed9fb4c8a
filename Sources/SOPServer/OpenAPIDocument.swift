// Generated from schemas/openapi.yaml; do not edit. ServerContractTests fails when the two
// differ; `SOP_RECORD=1 swift test --filter ServerContractTests` writes this file again.
enum OpenAPIDocument {
    static let text = #"""
openapi: 3.1.0
info:
  title: sopkit API
  version: 0.1.0
  summary: Run customer-service procedures (SOPs) against tickets, step by step, with a verifiable journal.
  description: |
    The HTTP API of `sop serve`. Every `/v1` route but the helpdesk hook takes a bearer token
    from `sop token create`; the token's actor and roles act on every request. docs/server.md
    describes the semantics; this document is the contract (the server serves it at
    `/openapi.yaml`, and CI checks the live server against it).
  license:
    name: MIT
    identifier: MIT
servers:
  - url: http://127.0.0.1:8080
security:
  - bearer: []
tags:
  - name: sops
  - name: runs
  - name: journal
  - name: helpdesk
  - name: operations

paths:
  /healthz:
    get:
      tags: [operations]
      operationId: healthz
      summary: The process is up.
      security: []
      responses:
        "200":
          description: Up.
          content:
            application/json:
              schema:
                type: object
                required: [status]
                properties:
                  status: {type: string, const: ok}
  /readyz:
    get:
      tags: [operations]
      operationId: readyz
      summary: The store answers and the server takes requests (503 while it shuts down or the store cannot be read).
      security: []
      responses:
        "200":
          description: Ready.
          content:
            application/json:
              schema:
                type: object
                required: [status, journal_position]
                properties:
                  status: {type: string, const: ready}
                  journal_position: {type: integer, minimum: 0}
        "503":
          description: Shutting down, or the store cannot be read now (`status` says which; `Retry-After` gives the seconds to wait).
          content:
            application/json:
              schema:
                type: object
                required: [status]
                properties:
                  status: {type: string}
        "500": {$ref: "#/components/responses/Internal"}
  /metrics:
    get:
      tags: [operations]
      operationId: metrics
      summary: Prometheus metrics (text exposition format).
      security: []
      responses:
        "200":
          description: The metrics.
          content:
            text/plain:
              schema: {type: string}
  /openapi.yaml:
    get:
      tags: [operations]
      operationId: openapi
      summary: This document.
      security: []
      responses:
        "200":
          description: The OpenAPI document.
          content:
            application/yaml:
              schema: {type: string}

  /v1/sops:
    get:
      tags: [sops]
      operationId: listSOPs
      summary: Every SOP file of the server's folder, with its lint status.
      responses:
        "200":
          description: The SOPs.
          content:
            application/json:
              schema:
                type: object
                required: [sops]
                properties:
                  sops:
                    type: array
                    items: {$ref: "#/components/schemas/SOPSummary"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}
  /v1/report:
    get:
      tags: [runs]
      operationId: getReport
      summary: The service KPIs of a period, from the journals (docs/report.md), for the role supervisor.
      parameters:
        - {name: from, in: query, description: "The period's start, an RFC 3339 time or a date (midnight in tz), as sop report takes it (default 30 days before to).", schema: {type: string}}
        - {name: to, in: query, description: "The period's end, not included, an RFC 3339 time or a date (midnight in tz) (default now).", schema: {type: string}}
        - {name: tz, in: query, description: The IANA time zone of the trend's days., schema: {type: string, default: UTC}}
        - {name: sop, in: query, description: "Only runs of these SOPs (ids, comma-separated).", schema: {type: string}}
        - {name: format, in: query, description: "json, or html (the page with charts).", schema: {type: string, enum: [json, html], default: json}}
      responses:
        "200":
          description: The report, as `sop report --format json` prints it, or its HTML page.
          content:
            application/json:
              schema: {type: object, required: [from, to, overall, directly_follows]}
            text/html:
              schema: {type: string}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503":
          description: "The report read for longer than the server's --report-time-limit (60 s by default) and was stopped (error time_limit), or the store cannot be reached now (store_unavailable)."
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
  /v1/sops/{sop}:
    get:
      tags: [sops]
      operationId: getSOP
      summary: One SOP with its states, inputs, transitions and graph.
      parameters:
        - {name: sop, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The SOP.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/SOPDetail"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "422": {$ref: "#/components/responses/Refused"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}

  /v1/runs:
    post:
      tags: [runs]
      operationId: startRun
      summary: Start a run of an SOP on a ticket (idempotent by run id).
      description: |
        With `id` (or an `Idempotency-Key`, which names the run for this actor), starting the
        same SOP on the same ticket again returns the existing run (200); anything else with
        that id is 409.
      parameters:
        - $ref: "#/components/parameters/IdempotencyKey"
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/StartRequest"}
      responses:
        "201":
          description: Started.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
            Location: {schema: {type: string}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/RunStatus"}
        "200":
          description: The run with this id already exists for this SOP and ticket.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
            Location: {schema: {type: string}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/RunStatus"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "422": {$ref: "#/components/responses/Refused"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}
        "507": {$ref: "#/components/responses/StoreFull"}
    get:
      tags: [runs]
      operationId: listRuns
      summary: Runs the caller may see, oldest first, a page at a time.
      parameters:
        - {name: sop, in: query, description: "SOP ids, comma-separated.", schema: {type: string}}
        - {name: state, in: query, schema: {type: string}}
        - {name: status, in: query, schema: {type: string, enum: [waiting, ended]}}
        - {name: role, in: query, description: Runs waiting on this role., schema: {type: string}}
        - {name: ticket_id, in: query, schema: {type: string}}
        - {name: due_before, in: query, description: "Runs with a timer, or an SLA clock's next warning or breach, due at or before this instant.", schema: {type: string, format: date-time}}
        - {name: cursor, in: query, description: The next_cursor of the page before (not with sort=sla_due)., schema: {type: string}}
        - {name: sla_breached, in: query, description: Only runs with an SLA target breached (docs/sla.md)., schema: {type: string, enum: ["true", "false"]}}
        - {name: sort, in: query, description: "created (the default), or sla_due: runs with a running SLA clock, the nearest due time first (one page, no cursor).", schema: {type: string, enum: [created, sla_due]}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
      responses:
        "200":
          description: A page of runs.
          content:
            application/json:
              schema:
                type: object
                required: [runs, next_cursor]
                properties:
                  runs:
                    type: array
                    items: {$ref: "#/components/schemas/RunSummary"}
                  next_cursor: {type: [string, "null"]}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}

  /v1/runs/{run}:
    get:
      tags: [runs]
      operationId: getRun
      summary: Where a run is and what the caller may do (as `sop status --format json`).
      parameters:
        - $ref: "#/components/parameters/Run"
      responses:
        "200":
          description: The run, with its due timers taken as the next command will find it.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/RunStatus"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}

  /v1/runs/{run}/steps:
    post:
      tags: [runs]
      operationId: step
      summary: Submit inputs, confirm checklist items and/or send an event (as `sop step`).
      parameters:
        - $ref: "#/components/parameters/Run"
        - $ref: "#/components/parameters/IdempotencyKey"
        - $ref: "#/components/parameters/IfMatch"
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/StepRequest"}
      responses:
        "200":
          description: The step was taken (or, for a repeated Idempotency-Key, had been); the run as it now is.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/RunStatus"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "412": {$ref: "#/components/responses/Stale"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "422": {$ref: "#/components/responses/Refused"}
        "409": {$ref: "#/components/responses/DamagedRun"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}
        "507": {$ref: "#/components/responses/StoreFull"}

  /v1/runs/{run}/ticket:
    patch:
      tags: [runs]
      operationId: updateTicket
      summary: Apply a JSON merge patch to the run's ticket (validated; as `sop update`).
      parameters:
        - $ref: "#/components/parameters/Run"
        - $ref: "#/components/parameters/IdempotencyKey"
        - $ref: "#/components/parameters/IfMatch"
      requestBody:
        required: true
        content:
          application/merge-patch+json:
            schema: {type: object}
      responses:
        "200":
          description: The ticket was updated; the run as it now is.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/RunStatus"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "412": {$ref: "#/components/responses/Stale"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "422": {$ref: "#/components/responses/Refused"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}
        "507": {$ref: "#/components/responses/StoreFull"}

  /v1/runs/{run}/journal:
    get:
      tags: [journal]
      operationId: getJournal
      summary: The run's journal records (as `sop log --format json`).
      parameters:
        - $ref: "#/components/parameters/Run"
        - {name: after, in: query, description: Only records after this sequence number., schema: {type: integer, minimum: -1}}
      responses:
        "200":
          description: The records, in order.
          content:
            application/json:
              schema:
                type: object
                required: [run, records]
                properties:
                  run: {type: string}
                  records:
                    type: array
                    items: {$ref: "#/components/schemas/JournalRecord"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "500": {$ref: "#/components/responses/Internal"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}

  /v1/runs/{run}/verify:
    get:
      tags: [journal]
      operationId: verifyRun
      summary: Check the run's hash chain and replay its journal (as `sop verify RUN`).
      parameters:
        - $ref: "#/components/parameters/Run"
      responses:
        "200":
          description: The verdict (ok false names the first bad record).
          content:
            application/json:
              schema:
                type: object
                required: [run, ok, records, failure]
                properties:
                  run: {type: string}
                  ok: {type: boolean}
                  records: {type: integer, minimum: 0}
                  failure:
                    oneOf:
                      - type: "null"
                      - type: object
                        required: [seq, reason]
                        properties:
                          seq: {type: integer}
                          reason: {type: string}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}

  /v1/migrations:
    post:
      tags: [runs]
      operationId: migrate
      summary: Move runs in flight to the SOP's version the server serves now (as `sop migrate`), for the role supervisor or admin.
      description: |
        The target is the SOP's file as the server serves it now (after a reload of the SOP
        folder). `dry_run` is true when left out: the plan is answered and nothing is written;
        with `"dry_run": false` each run is moved in one transaction with a `migrate` journal
        record. The answer is 200 whenever the migration was checked: problems with the plan
        (`problems`, nothing looked at) and runs refused (`refusals`, each with its rule id as
        `sop migrate` has it) are listed in it, not answered as errors.
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/MigrationRequest"}
      responses:
        "200":
          description: The plan (a dry run) or what was done, as `sop migrate --format json` prints it.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/MigrationResult"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "422": {$ref: "#/components/responses/Refused"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}
        "507": {$ref: "#/components/responses/StoreFull"}

  /v1/events:
    get:
      tags: [journal]
      operationId: events
      summary: Committed journal records as server-sent events, resumable.
      description: |
        Each event is `event: record`, `id:` the record's position in the store's journal and
        `data:` the record's JSON. `Last-Event-ID` (or `after`) resumes after a position; without
        either the stream starts with the records committed from now on. Records of runs of
        SOPs the caller has no role in are left out.
      parameters:
        - {name: run, in: query, description: Only this run's records., schema: {type: string}}
        - {name: after, in: query, schema: {type: string}}
        - {name: Last-Event-ID, in: header, schema: {type: string}}
      responses:
        "200":
          description: The stream.
          content:
            text/event-stream:
              schema: {type: string}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}

  /v1/hooks/tickets:
    post:
      tags: [helpdesk]
      operationId: helpdeskUpdate
      summary: A helpdesk's ticket update, signed with the shared secret (docs/server.md).
      description: |
        Authenticated by `Sop-Signature: v1=HEX`, the HMAC-SHA256 of `TIMESTAMP.BODY` with the
        secret of `--hook-secret-file`; the timestamp must be within 5 minutes of the server's
        clock; a delivery id is applied once; an `updated_at` not later than the last applied
        one for the ticket is ignored (`stale`). Applies to every open run of the ticket.
      security: []
      parameters:
        - {name: Sop-Delivery, in: header, required: true, schema: {type: string}}
        - {name: Sop-Timestamp, in: header, required: true, schema: {type: string}}
        - {name: Sop-Signature, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/HelpdeskUpdate"}
      responses:
        "200":
          description: Applied to some run; refused by every run it reached; unchanged (no run changed, or no open run); or a duplicate or stale delivery (nothing done).
          content:
            application/json:
              schema:
                type: object
                required: [delivery, ticket_id, result]
                properties:
                  delivery: {type: string}
                  ticket_id: {type: string}
                  result: {type: string, enum: [applied, refused, unchanged, duplicate, stale]}
                  runs: {type: array, items: {type: string}, description: The runs the update changed.}
                  unchanged: {type: array, items: {type: string}, description: The runs that already held what the update says (no record written).}
                  refused:
                    type: array
                    items:
                      type: object
                      required: [run, reason]
                      properties:
                        run: {type: string}
                        reason: {type: string}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/TooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "503": {$ref: "#/components/responses/StoreUnavailable"}
        "507": {$ref: "#/components/responses/StoreFull"}

components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      description: A token from `sop token create` (`sop_…`).

  parameters:
    Run:
      {name: run, in: path, required: true, schema: {type: string}}
    IdempotencyKey:
      name: Idempotency-Key
      in: header
      description: The same key twice applies once (for a step, per run; for a start, it names the run).
      schema: {type: string}
    IfMatch:
      name: If-Match
      in: header
      description: "The run version (ETag) the caller read, or a list of entity tags (RFC 9110): when none is the run's version, 412 and nothing changes; a header that is no list of entity tags is 400."
      schema: {type: string}

  headers:
    ETag:
      description: The run's version, quoted.
      schema: {type: string}

  responses:
    BadRequest:
      description: The request is malformed (body, field, parameter).
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Unauthorized:
      description: No valid token (or, for the helpdesk hook, no valid signature).
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Forbidden:
      description: The token holds no role that may do this.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    NotFound:
      description: No such run or SOP.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Conflict:
      description: The run id is taken by another SOP or ticket.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Stale:
      description: If-Match names an older version; nothing changed.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    TooLarge:
      description: The body is larger than 1 MiB.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    UnsupportedMediaType:
      description: The body is not of the media type the operation takes.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    StoreUnavailable:
      description: The store cannot be reached now (the database restarts, a connection was cut); nothing changed, unless the reason says the connection was lost while committing. Try again after `Retry-After` seconds, with the same `Idempotency-Key` for a step.
      headers:
        Retry-After:
          description: Seconds to wait before trying again.
          schema: {type: integer, minimum: 1}
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    DamagedRun:
      description: The run's journal is damaged (`damaged_run`, its hash chain is broken at the record the reason names), so it is not stepped; `sop verify RUN` says what is wrong. Other runs are served.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    StoreFull:
      description: The disk under the store is full (`store_full`); nothing was written. Reads go on; writes succeed again once space is freed.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Refused:
      description: The SOP refuses the step (same reason and alternatives as the command line); nothing changed.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Internal:
      description: The server failed (the store); the error is in its log.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}

  schemas:
    Error:
      type: object
      required: [error, reason, instead, status]
      properties:
        error:
          type: string
          description: The kind, as `sop --format json` names it.
          examples: [refused, forbidden, unknown_run, stale_version, bad_request, time_limit]
        reason: {type: string}
        instead:
          type: array
          description: What is possible instead.
          items: {type: string}
        fields:
          type: array
          description: |
            Only when a step's inputs were refused: each refused input with its own reason and
            what it takes instead, so a form can show every one beside its field. With one refused
            input, `reason` and `instead` are its own; with several, `reason` counts them and
            `instead` lists each one's reason.
          items:
            type: object
            required: [input, reason, instead]
            properties:
              input: {type: string, description: The input's name.}
              reason: {type: string}
              instead: {type: array, items: {type: string}}
        status: {type: integer}

    SOPSummary:
      type: object
      required: [id, path, version, title, category, lint]
      properties:
        id: {type: [string, "null"]}
        path: {type: string}
        version: {type: [integer, "null"]}
        title: {type: [string, "null"]}
        category: {type: [string, "null"]}
        lint:
          type: object
          required: [status, errors, warnings]
          properties:
            status: {type: string, enum: [ok, warnings, errors]}
            errors: {type: integer, minimum: 0}
            warnings: {type: integer, minimum: 0}

    SOPDetail:
      type: object
      required: [id, version, title, description, category, digest, roles, start, states, graph]
      properties:
        id: {type: string}
        version: {type: integer}
        title: {type: string}
        description: {type: [string, "null"]}
        category: {type: [string, "null"]}
        digest: {type: string}
        roles: {type: array, items: {type: string}}
        start: {type: string}
        states:
          type: array
          items:
            type: object
            required: [id, title, role, instructions, checklist, inputs, end, call, transitions]
            properties:
              id: {type: string}
              title: {type: string}
              role: {type: [string, "null"]}
              instructions: {type: [string, "null"]}
              checklist: {type: array, items: {type: string}}
              inputs: {type: array, items: {$ref: "#/components/schemas/InputSpec"}}
              end: {type: [string, "null"]}
              call: {type: [string, "null"]}
              transitions:
                type: array
                items:
                  type: object
                  required: [to, "on", when, after, label, role]
                  properties:
                    to: {type: string}
                    "on": {type: [string, "null"]}
                    when: {type: [string, "null"]}
                    after: {type: [string, "null"]}
                    label: {type: [string, "null"]}
                    role: {type: string}
        graph:
          type: object
          required: [mermaid]
          properties:
            mermaid: {type: string}

    InputSpec:
      type: object
      required: [name, type, required, given]
      properties:
        name: {type: string}
        type: {type: string, enum: [string, integer, number, boolean, date, datetime, duration, enum, list]}
        prompt: {type: string}
        required: {type: boolean}
        given: {type: boolean}
        values: {type: array, items: {type: string}}
        labels: {type: object, additionalProperties: {type: string}}
        min: {type: number}
        max: {type: number}
        min_length: {type: integer}
        max_length: {type: integer}
        pattern: {type: string}
        scope: {type: string, enum: [visit], description: "present for an input forgotten each time the run enters its state: give it again in each visit"}

    RunStatus:
      type: object
      description: As `sop status --format json` prints it.
      required: [run, sop, sop_version, state, status, outcome, version, ticket, vars, inputs, inputs_needed, input_specs,
                 checklist, events, timers, outbox, owner, title, instructions, child, parent, as_of, due_timers_applied]
      properties:
        run: {type: string}
        sop: {type: string}
        sop_version: {type: integer}
        state: {type: string}
        status: {type: string, enum: [waiting, ended]}
        outcome: {type: [string, "null"]}
        version: {type: integer, minimum: 0}
        ticket: {}
        vars: {type: object}
        inputs: {type: object}
        inputs_needed: {type: array, items: {type: string}}
        input_specs: {type: array, items: {$ref: "#/components/schemas/InputSpec"}}
        checklist:
          type: array
          items:
            type: object
            required: [item, confirmed]
            properties:
              item: {type: string}
              confirmed: {type: boolean}
        events:
          type: array
          description: The events the caller's roles may send now.
          items:
            type: object
            required: [event, label]
            properties:
              event: {type: string}
              label: {type: string}
        timers:
          type: array
          items:
            type: object
            required: [to, due]
            properties:
              to: {type: string}
              due: {type: string, format: date-time}
        outbox: {type: array, items: {type: object}}
        owner:
          type: object
          required: [role, queue]
          properties:
            role: {type: [string, "null"]}
            queue: {type: [string, "null"]}
        title: {type: [string, "null"]}
        instructions: {type: [string, "null"]}
        child: {type: [string, "null"]}
        parent: {type: [string, "null"]}
        as_of: {type: string, format: date-time}
        due_timers_applied: {type: integer, minimum: 0}
        role_to_act:
          type: [string, "null"]
          description: The role that must act on the run now (its state's inputs, checklist and events without a role of their own); null when the run has ended or waits for a child run.
        other_events:
          type: array
          description: The current state's events that the caller may not send, with the roles that may.
          items:
            type: object
            required: [event, label, roles]
            properties:
              event: {type: string}
              label: {type: string}
              roles: {type: array, items: {type: string}}
        sla:
          type: array
          description: Only for an SOP with SLA targets (docs/sla.md) — each target's clock.
          items:
            type: object
            required: [target, status, length, due, remaining, calendar]
            properties:
              target: {type: string}
              status: {type: string, enum: [pending, running, paused, met, breached, stopped]}
              length: {type: [string, "null"], description: The business duration that applies.}
              due: {type: [string, "null"], format: date-time}
              remaining: {type: [string, "null"], description: Business time left, negative once past due.}
              calendar: {type: string}

    RunSummary:
      type: object
      required: [run, sop, state, status, outcome, updated_at]
      properties:
        run: {type: string}
        sop: {type: string}
        state: {type: string}
        status: {type: string, enum: [waiting, ended]}
        outcome: {type: [string, "null"]}
        updated_at: {type: string, format: date-time}
        sla_due: {type: [string, "null"], format: date-time, description: The nearest due time of its running SLA clocks.}
        sla_breached: {type: boolean, description: Whether an SLA target of the run has breached.}

    JournalRecord:
      type: object
      description: A journal record as `sop log --format json` prints it (docs/runtime.md).
      required: [run, seq, at, actor, sop, sop_version, sop_digest, from, to, trigger, inputs, changes, effects, prev, hash]
      properties:
        run: {type: string}
        seq: {type: integer, minimum: 0}
        at: {type: string, format: date-time}
        actor:
          type: object
          required: [id, role]
          properties:
            id: {type: string}
            role: {type: string}
        sop: {type: string}
        sop_version: {type: integer}
        sop_digest: {type: string}
        from: {type: [string, "null"]}
        to: {type: string}
        trigger:
          type: object
          required: [kind]
          properties:
            kind: {type: string, enum: [start, event, auto, timer, input, child, sla, migrate]}
        inputs: {type: object}
        changes: {type: object}
        effects: {type: array}
        prev: {type: [string, "null"]}
        hash: {type: string}

    StartRequest:
      type: object
      required: [sop, ticket]
      additionalProperties: false
      properties:
        sop: {type: string, description: The SOP's id.}
        ticket: {type: object, description: The ticket (checked against the ticket schema).}
        id:
          type: string
          description: The run's id (default generated); the same id, SOP and ticket again return the run.
          pattern: "^[A-Za-z0-9._-]{1,128}$"

    StepRequest:
      type: object
      additionalProperties: false
      description: As `sop step`; each member optional, at least one needed (else 422, nothing to do).
      properties:
        inputs:
          type: object
          description: Input values by name, parsed by each input's type; a `list` input also takes an array.
          additionalProperties:
            oneOf:
              - {type: [string, number, boolean]}
              - {type: array, items: {type: [string, number, boolean]}}
        checks:
          description: '"all", or checklist item numbers from 1.'
          oneOf:
            - {type: string, const: all}
            - {type: array, items: {type: integer, minimum: 1}}
        event: {type: string}

    HelpdeskUpdate:
      type: object
      required: [ticket_id, updated_at]
      additionalProperties: false
      description: Give exactly one of patch and ticket.
      properties:
        ticket_id: {type: [string, integer], description: The ticket's `id`.}
        updated_at: {type: string, format: date-time, description: When the helpdesk changed the ticket.}
        patch: {type: object, description: A JSON merge patch of the ticket.}
        ticket: {type: object, description: The whole ticket; the patch applied is what changed.}

    MigrationRequest:
      type: object
      required: [sop]
      additionalProperties: false
      description: As `sop migrate` takes it; the target is the SOP's file the server serves now.
      properties:
        sop: {type: string, description: The SOP's id.}
        map:
          type: object
          description: 'Runs waiting in state OLD go to state NEW: {"OLD": "NEW"} (`--map OLD=NEW`).'
          additionalProperties: {type: string}
        set:
          type: object
          description: Inputs the target state needs that a run lacks, as an agent types them (`--set INPUT=VALUE`).
          additionalProperties: {type: string}
        state: {type: [string, "null"], description: Only runs waiting in this state.}
        role: {type: [string, "null"], description: Only runs waiting on this role.}
        ticket_id: {type: [string, "null"], description: Only runs of this ticket.}
        runs:
          type: [array, "null"]
          description: Only these runs (at least one id; leave it out for every run in flight of the SOP).
          minItems: 1
          items: {type: string}
        dry_run: {type: [boolean, "null"], description: 'Plan only, write nothing: true when left out.'}

    MigrationResult:
      type: object
      required: [sop, version, digest, dry_run, migrated, refused, already, moves, refusals, problems]
      properties:
        sop: {type: string}
        version: {type: integer, description: The target version.}
        digest: {type: string, description: The target's source digest.}
        dry_run: {type: boolean}
        migrated: {type: integer, minimum: 0, description: Runs moved (or that would be).}
        refused: {type: integer, minimum: 0}
        already: {type: integer, minimum: 0, description: Runs already pinned to the target (left as they are).}
        moves:
          type: array
          items:
            type: object
            required: [from, to, runs]
            properties:
              from: {type: string}
              to: {type: string}
              runs: {type: array, items: {type: string}}
        refusals:
          type: array
          items:
            type: object
            required: [run, state, rule, message]
            properties:
              run: {type: string}
              state: {type: string}
              rule: {type: string, description: 'A rule id of `sop migrate` (migrate/…).'}
              message: {type: string}
        problems:
          type: array
          description: What is wrong with the plan itself; when there are some, no run was looked at.
          items:
            type: object
            required: [rule, message]
            properties:
              rule: {type: string}
              message: {type: string}

"""#
}
