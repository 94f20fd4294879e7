-- Rules of IRCCS Bonino-Pulejo, Messina (neurology HUB).
local concerto = require "concerto"

local rules = {}

-- Its own requests stay in house; stroke emergencies go to the stroke unit
-- and at night to its on-call rota.
function rules.route_teleconsult(req)
  local urgent = req.urgency == "urgent" or req.urgency == "emergency"
  if req.specialty == "neurologia" and urgent then
    local night = concerto.is_night(req.requested_at)
    return { group = night and "neuro-stroke@IRCCS-ME" or "stroke-unit@IRCCS-ME",
             on_call = night, priority = "critical", sla_hours = 0.25 }
  end
  return { group = (req.specialty or "general") .. "@IRCCS-ME",
           priority = urgent and "high" or "normal",
           sla_hours = urgent and 4 or 72 }
end

-- A new urgent teleconsultation pages the stroke on-call neurologist.
function rules.on_event(name, payload)
  if name == "teleconsult.created" and payload.priority == "critical" then
    return { actions = { { type = "page", group = payload.group } } }
  end
  return { actions = {} }
end

return rules
