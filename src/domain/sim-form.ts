// The physical shape of a SIM: a plastic card, or an eSIM profile downloaded with an activation code
// (only eSIMs carry one). The `sims` and `lines` tables' CHECK constraints list the same values.
export const SIM_FORMS = ['esim', 'physical'] as const;
export type SimForm = (typeof SIM_FORMS)[number];

export function isSimForm(value: string): value is SimForm {
  return (SIM_FORMS as readonly string[]).includes(value);
}
