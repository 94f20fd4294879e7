-- Diabetologia - AOU Policlinico "P. Giaccone", Palermo (HUB).
-- Anamnesis form for diabetes teleconsultation and follow-up: type and
-- history, glycaemic control (HbA1c in mmol/mol with the % computed),
-- insulin therapy, complications and diabetic foot screening.
local concerto = require "concerto"

return {
  id = "diabetologia",
  title = "Scheda diabetologica",
  version = 2,
  sections = {
    {
      id = "storia",
      title = "Storia di malattia",
      fields = {
        { id = "tipo_diabete", type = "single_choice", label = "Tipo di diabete",
          required = true,
          choices = {
            { value = "tipo1", label = "Diabete tipo 1" },
            { value = "tipo2", label = "Diabete tipo 2" },
            { value = "lada", label = "LADA" },
            { value = "gestazionale", label = "Diabete gestazionale" },
            { value = "altro", label = "Altro (MODY, secondario...)" },
          } },
        { id = "anno_diagnosi", type = "integer", label = "Anno della diagnosi",
          min = 1920, max = 2100, required = true },
        { id = "settimane_gestazione", type = "integer",
          label = "Settimane di gestazione", min = 4, max = 42, required = true,
          visible_if = { field = "tipo_diabete", equals = "gestazionale" } },
      },
    },
    {
      id = "compenso",
      title = "Compenso glicemico",
      fields = {
        { id = "hba1c", type = "number", label = "Emoglobina glicata (HbA1c)",
          unit = "mmol/mol", min = 20, max = 200, step = 1, required = true,
          help = "Valore IFCC; la percentuale DCCT è calcolata." },
        { id = "hba1c_percentuale", type = "computed", compute = "hba1c_dcct",
          label = "HbA1c (DCCT)", unit = "%" },
        { id = "data_hba1c", type = "date", label = "Data del prelievo HbA1c",
          min = "2000-01-01", max = "today", required = true },
        { id = "glicemia_digiuno", type = "integer",
          label = "Glicemia a digiuno", unit = "mg/dL", min = 20, max = 800 },
        { id = "ipoglicemie", type = "single_choice",
          label = "Ipoglicemie negli ultimi 3 mesi",
          choices = {
            { value = "nessuna", label = "Nessuna" },
            { value = "lievi", label = "Solo lievi (autogestite)" },
            { value = "gravi", label = "Almeno una grave (aiuto di terzi)" },
          } },
      },
    },
    {
      id = "terapia",
      title = "Terapia",
      fields = {
        { id = "insulina", type = "boolean", label = "Terapia insulinica",
          required = true },
        { id = "schema_insulinico", type = "single_choice",
          label = "Schema insulinico", required = true,
          visible_if = { field = "insulina", equals = true },
          choices = {
            { value = "basale", label = "Solo basale" },
            { value = "basal_bolus", label = "Basal-bolus" },
            { value = "premiscelata", label = "Premiscelata" },
            { value = "microinfusore", label = "Microinfusore (CSII)" },
          } },
        { id = "unita_giornaliere", type = "integer",
          label = "Unità di insulina al giorno", unit = "UI", min = 1,
          max = 300, visible_if = { field = "insulina", equals = true } },
        -- A chain: only for pump users, so hidden whenever insulin is.
        { id = "sensore_cgm", type = "boolean",
          label = "Monitoraggio continuo (CGM) integrato",
          visible_if = { field = "schema_insulinico", equals = "microinfusore" } },
        { id = "altri_farmaci", type = "long_text",
          label = "Altri ipoglicemizzanti", max_length = 2000 },
      },
    },
    {
      id = "complicanze",
      title = "Complicanze",
      fields = {
        { id = "complicanze", type = "multiple_choice",
          label = "Complicanze note", required = true, min_selected = 1,
          help = "Indicare \"Nessuna\" se assenti.",
          choices = {
            { value = "nessuna", label = "Nessuna" },
            { value = "retinopatia", label = "Retinopatia" },
            { value = "nefropatia", label = "Nefropatia" },
            { value = "neuropatia", label = "Neuropatia" },
            { value = "cardiopatia", label = "Cardiopatia ischemica" },
            { value = "arteriopatia", label = "Arteriopatia periferica" },
          } },
        { id = "egfr", type = "number", label = "eGFR", unit = "mL/min/1,73m²",
          min = 1, max = 200,
          visible_if = { field = "complicanze", ["in"] = { "nefropatia" } } },
      },
    },
    {
      id = "piede",
      title = "Piede diabetico",
      fields = {
        { id = "monofilamento", type = "single_choice",
          label = "Test al monofilamento",
          choices = {
            { value = "normale", label = "Normale" },
            { value = "alterato", label = "Alterato" },
            { value = "non_eseguito", label = "Non eseguito" },
          } },
        { id = "lesioni_piede", type = "boolean", label = "Lesioni del piede",
          required = true },
        { id = "wagner", type = "scale", label = "Grado di Wagner",
          min = 0, max = 5, required = true,
          labels = { min = "0 - piede a rischio", max = "5 - gangrena estesa" },
          visible_if = { field = "lesioni_piede", equals = true } },
      },
    },
  },
  computed = {
    -- IFCC mmol/mol to DCCT %: % = mmol/mol / 10.929 + 2.15 (NGSP master
    -- equation), one decimal.
    hba1c_dcct = function(v)
      if not v.hba1c then
        return nil
      end
      return concerto.round(v.hba1c / 10.929 + 2.15, 1)
    end,
  },
  validate = function(v)
    local errors = {}
    local nessuna, altre = false, 0
    for _, c in ipairs(v.complicanze) do
      if c == "nessuna" then nessuna = true else altre = altre + 1 end
    end
    if nessuna and altre > 0 then
      errors[#errors + 1] = { field = "complicanze",
        message = "\"Nessuna\" non può essere scelta insieme ad altre complicanze" }
    end
    local diagnosi = v.anno_diagnosi
    local anno_prelievo = concerto.parse_date(v.data_hba1c).year
    if diagnosi > tonumber(concerto.date("%Y")) then
      errors[#errors + 1] = { field = "anno_diagnosi",
        message = "L'anno della diagnosi è nel futuro" }
    elseif anno_prelievo < diagnosi then
      errors[#errors + 1] = { field = "data_hba1c",
        message = "Il prelievo precede la diagnosi" }
    end
    return errors
  end,
}
