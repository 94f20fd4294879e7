-- Teleconsulto neurologico urgente - ASP Agrigento, Pronto Soccorso (SPOKE)
-- verso la Stroke Unit dell'IRCCS Bonino-Pulejo, Messina (HUB).
-- The emergency room fills it for acute stroke and head trauma: onset time,
-- GCS and NIHSS, anticoagulants, CT. The hours since onset and the
-- thrombolysis window (4.5 h) are computed; a reason is required when the
-- patient is outside it.
local concerto = require "concerto"

-- The instant of onset (epoch seconds), or nil while incomplete.
local function onset(v)
  if not v.data_esordio or not v.ora_esordio then
    return nil
  end
  local t = concerto.parse_date(v.data_esordio .. " " .. v.ora_esordio)
  return t and t.time
end

local ictus = { "ictus", "ictus_e_trauma" }
local trauma = { "trauma", "ictus_e_trauma" }

return {
  id = "neuro_urgente",
  title = "Teleconsulto neurologico urgente (ictus / trauma cranico)",
  version = 4,
  sections = {
    {
      id = "evento",
      title = "Evento",
      fields = {
        { id = "tipo_evento", type = "single_choice", label = "Quadro clinico",
          required = true,
          choices = {
            { value = "ictus", label = "Sospetto ictus" },
            { value = "trauma", label = "Trauma cranico" },
            { value = "ictus_e_trauma", label = "Ictus con trauma cranico" },
          } },
        { id = "esordio_certo", type = "boolean",
          label = "Ora di esordio certa (testimoniata)", required = true },
        { id = "data_esordio", type = "date", label = "Data di esordio",
          min = "2020-01-01", max = "today", required = true,
          help = "Se l'ora non è certa: quando il paziente è stato visto " ..
                 "bene l'ultima volta." },
        { id = "ora_esordio", type = "text", label = "Ora di esordio",
          placeholder = "HH:MM", required = true,
          pattern = "[0-2]%d:[0-5]%d", pattern_message = "Formato HH:MM",
          max_length = 5 },
        { id = "ore_da_esordio", type = "computed", compute = "ore_da_esordio",
          label = "Ore trascorse dall'esordio", unit = "h" },
      },
    },
    {
      id = "valutazione",
      title = "Valutazione neurologica",
      fields = {
        { id = "gcs", type = "integer", label = "Glasgow Coma Scale (GCS)",
          min = 3, max = 15, required = true },
        { id = "nihss", type = "scale", label = "NIHSS", min = 0, max = 42,
          required = true,
          labels = { min = "0 - nessun deficit", max = "42 - deficit massimo" },
          visible_if = { field = "tipo_evento", ["in"] = ictus } },
        { id = "lato_deficit", type = "single_choice", label = "Lato del deficit",
          visible_if = { field = "tipo_evento", ["in"] = ictus },
          choices = {
            { value = "destro", label = "Emisoma destro" },
            { value = "sinistro", label = "Emisoma sinistro" },
            { value = "bilaterale", label = "Bilaterale / non lateralizzato" },
          } },
        { id = "afasia", type = "boolean", label = "Afasia",
          visible_if = { field = "tipo_evento", ["in"] = ictus } },
        { id = "pas", type = "integer", label = "Pressione sistolica",
          unit = "mmHg", min = 50, max = 300, required = true },
        { id = "glicemia", type = "integer", label = "Glicemia capillare",
          unit = "mg/dL", min = 10, max = 1000, required = true },
      },
    },
    {
      id = "trauma",
      title = "Trauma cranico",
      visible_if = { field = "tipo_evento", ["in"] = trauma },
      fields = {
        { id = "dinamica", type = "single_choice", label = "Dinamica",
          required = true,
          choices = {
            { value = "caduta", label = "Caduta" },
            { value = "stradale", label = "Incidente stradale" },
            { value = "aggressione", label = "Aggressione" },
            { value = "altro", label = "Altro" },
          } },
        { id = "perdita_coscienza", type = "boolean",
          label = "Perdita di coscienza", required = true },
        { id = "amnesia", type = "boolean", label = "Amnesia post-traumatica" },
        { id = "vomito", type = "boolean", label = "Vomito ripetuto" },
        { id = "crisi", type = "boolean", label = "Crisi convulsiva" },
      },
    },
    {
      id = "terapia",
      title = "Terapia antitrombotica",
      fields = {
        { id = "anticoagulante", type = "single_choice",
          label = "Terapia anticoagulante", required = true,
          choices = {
            { value = "nessuno", label = "Nessuno" },
            { value = "warfarin", label = "Warfarin / acenocumarolo" },
            { value = "doac", label = "DOAC" },
            { value = "eparina", label = "Eparina a dosi terapeutiche" },
          } },
        { id = "inr", type = "number", label = "INR", min = 0.5, max = 15,
          step = 0.01, required = true,
          visible_if = { field = "anticoagulante", equals = "warfarin" } },
        { id = "ultima_dose_doac", type = "text",
          label = "Ora dell'ultima assunzione del DOAC", placeholder = "HH:MM",
          pattern = "[0-2]%d:[0-5]%d", pattern_message = "Formato HH:MM",
          visible_if = { field = "anticoagulante", equals = "doac" } },
        { id = "antiaggreganti", type = "boolean", label = "Antiaggreganti" },
      },
    },
    {
      id = "imaging",
      title = "Neuroimaging",
      fields = {
        { id = "tc_eseguita", type = "boolean", label = "TC encefalo eseguita",
          required = true },
        { id = "esito_tc", type = "single_choice", label = "Esito della TC",
          required = true,
          visible_if = { field = "tc_eseguita", equals = true },
          choices = {
            { value = "negativa", label = "Negativa per lesioni acute" },
            { value = "ischemia", label = "Segni precoci di ischemia" },
            { value = "emorragia", label = "Emorragia" },
            { value = "frattura", label = "Frattura / lesione traumatica" },
          } },
        { id = "angio_tc", type = "boolean", label = "Angio-TC eseguita",
          visible_if = { field = "tc_eseguita", equals = true } },
        { id = "ora_tc", type = "text", label = "Ora della TC",
          placeholder = "HH:MM", pattern = "[0-2]%d:[0-5]%d",
          pattern_message = "Formato HH:MM",
          visible_if = { field = "tc_eseguita", equals = true } },
      },
    },
    {
      id = "trombolisi",
      title = "Trombolisi",
      visible_if = { field = "tipo_evento", ["in"] = ictus },
      fields = {
        { id = "entro_finestra", type = "computed", compute = "entro_finestra",
          label = "Entro la finestra per la trombolisi (4,5 h)" },
        -- Declared after the computed field it reads (see docs: conditions
        -- see only earlier fields).
        { id = "motivo_esclusione", type = "single_choice",
          label = "Motivo di esclusione dalla trombolisi", required = true,
          visible_if = { field = "entro_finestra", equals = false },
          choices = {
            { value = "fuori_finestra", label = "Oltre 4,5 ore dall'esordio" },
            { value = "emorragia", label = "Emorragia alla TC" },
            { value = "anticoagulante", label = "Terapia anticoagulante in atto" },
            { value = "altro", label = "Altro" },
          } },
        { id = "note_trombolisi", type = "long_text", label = "Note",
          visible_if = function(v)
            return v.motivo_esclusione == "altro"
          end },
      },
    },
  },
  computed = {
    ore_da_esordio = function(v)
      local t = onset(v)
      if not t then
        return nil
      end
      return concerto.round((concerto.now() - t) / 3600, 1)
    end,
    -- Time window only; the contraindications are the clinician's call,
    -- recorded in motivo_esclusione.
    entro_finestra = function(v)
      if not v.ore_da_esordio then
        return nil
      end
      return v.ore_da_esordio >= 0 and v.ore_da_esordio <= 4.5 and
             v.esito_tc ~= "emorragia" and v.anticoagulante ~= "doac"
    end,
  },
  validate = function(v)
    local errors = {}
    local t = onset(v)
    if not t then
      errors[#errors + 1] = { field = "ora_esordio",
        message = "Ora non valida (00:00-23:59)" }
    elseif t > concerto.now() then
      errors[#errors + 1] = { field = "ora_esordio",
        message = "L'esordio non può essere nel futuro" }
    end
    if v.ora_tc and t then
      local tc = concerto.parse_date(v.data_esordio .. " " .. v.ora_tc)
      -- A CT on the same date earlier than the onset is a typo.
      if tc and tc.time < t then
        errors[#errors + 1] = { field = "ora_tc",
          message = "L'ora della TC precede l'esordio dei sintomi" }
      end
    end
    if v.tipo_evento ~= "trauma" and not v.tc_eseguita then
      errors[#errors + 1] = { field = "tc_eseguita",
        message = "Per il sospetto ictus la TC encefalo è necessaria " ..
                  "prima del teleconsulto" }
    end
    return errors
  end,
}
