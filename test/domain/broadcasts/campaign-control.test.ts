import { decodeCampaignControl, encodeCampaignControl, type CampaignControl } from '../../../domain/broadcasts/campaign-report';

describe('campaign control buttons', () => {
  it('every control survives its callback data, the .xlsx export included; anything else is refused', () => {
    const controls: CampaignControl[] = [
      { command: 'show' },
      { command: 'csv' },
      { command: 'xlsx' },
      { command: 'pause' },
      { command: 'win', variant: 'B' },
    ];
    for (const control of controls) expect(decodeCampaignControl(encodeCampaignControl(42, control))).toEqual({ campaignId: 42, control });
    expect(encodeCampaignControl(7, { command: 'xlsx' })).toBe('cmpctl:7:xlsx');
    for (const data of ['cmpctl:7:xls', 'cmpctl:7:xlsx:1', 'cmpctl:x:xlsx', 'cmpctl:7:win:D']) expect(decodeCampaignControl(data)).toBeNull();
  });
});
