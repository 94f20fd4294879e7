-- Where ASP Agrigento sends its teleconsultations: the HUB group of each
-- specialty, by day and at night (on call). Shared by rules.lua through
-- require "lib.hub".
local concerto = require "concerto"

local M = {}

-- specialty -> { day group, night (on-call) group }
M.groups = {
  neurologia = { day = "neurologia-urgenze@IRCCS-ME",
                 night = "neuro-stroke@IRCCS-ME" },
  cardiologia = { day = "cardiologia@AOUP-PA",
                  night = "cardiologia-utic@AOUP-PA" },
  dermatologia = { day = "dermatologia@AOUP-PA" },
  diabetologia = { day = "diabetologia@AOUP-PA" },
}

-- The group for a specialty at instant t, and whether it is the on-call
-- one. Unknown specialties go to the AOUP-PA group of the same name.
function M.group(specialty, t, urgent)
  local g = M.groups[specialty]
  if not g then
    return specialty .. "@AOUP-PA", false
  end
  if urgent and g.night and concerto.is_night(t) then
    return g.night, true
  end
  return g.day, false
end

return M
