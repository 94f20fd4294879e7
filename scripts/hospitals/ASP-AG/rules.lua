-- Routing rules of ASP Agrigento (SPOKE with an emergency room).
--
-- route_teleconsult(request): request = { specialty = "neurologia",
--   urgency = "emergency" | "urgent" | "routine", reason = "ictus" | ...,
--   requested_at = epoch seconds (default: now), origin = "pronto_soccorso",
--   immediate = true when the doctor starts the consult at once }
-- route_ticket(ticket): ticket = { category = "rete" | "hardware" |
--   "software" | "accesso", blocking = bool, scope = "user" | "ward" |
--   "hospital" }
local concerto = require "concerto"
local hub = require "lib.hub"

-- Service level (hours) and priority by urgency.
local levels = {
  emergency = { priority = "critical", sla_hours = 0.25 },
  urgent = { priority = "high", sla_hours = 2 },
  routine = { priority = "normal", sla_hours = 72 },
}

local rules = {}

function rules.route_teleconsult(req)
  local urgency = levels[req.urgency] and req.urgency or "routine"
  local t = req.requested_at or concerto.now()
  local urgent = urgency ~= "routine"
  local group, on_call = hub.group(req.specialty or "general", t, urgent)
  local decision = {
    group = group,
    on_call = on_call,
    priority = levels[urgency].priority,
    sla_hours = levels[urgency].sla_hours,
  }
  -- An acute stroke from the emergency room is always time-critical: the
  -- thrombolysis window does not wait for office hours.
  if req.specialty == "neurologia" and req.reason == "ictus" and urgent then
    decision.priority = "critical"
    decision.sla_hours = 0.25
    -- At night, and whenever the doctor asks to consult now (the
    -- "Consulta subito" button: immediate = true), the stroke team on call.
    if concerto.is_night(t) or req.immediate then
      decision.group, decision.on_call = "neuro-stroke@IRCCS-ME", true
    end
  end
  concerto.log("info", "teleconsulto " .. (req.specialty or "?") .. " -> " ..
               decision.group)
  return decision
end

function rules.route_ticket(ticket)
  local queue = "first_level"
  if ticket.category == "rete" then
    queue = "network"
  elseif ticket.category == "accesso" then
    queue = "identity"
  end
  local severity = "normal"
  if ticket.blocking then
    severity = ticket.scope == "hospital" and "critical" or "high"
    -- Blocking problems at night go to the IT on-call rota.
    if concerto.is_night(ticket.opened_at) then
      queue = "on_call_it"
    end
  end
  return { queue = queue, severity = severity }
end

-- Reports leave only with a qualified signature.
function rules.signature_policy(certificate, document)
  if document.type == "referto" and not certificate.qualified then
    return { allow = false,
             reason = "i referti richiedono una firma qualificata" }
  end
  return { allow = true, reason = "policy ASP-AG" }
end

function rules.on_event(name, payload)
  if name == "teleconsult.closed" then
    return { actions = {
      { type = "notify", to = "requester", teleconsult = payload.id },
    } }
  end
  return { actions = {} }
end

return rules
