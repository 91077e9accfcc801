import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { calendarKeys } from './queries';

/** A new private feed URL; the old one answers 404 from now on. */
export function useRotateCalendarFeed() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/me/calendar-feed/rotate')),
    onSuccess: (answer) => queryClient.setQueryData(calendarKeys.feed, { url: answer.calendarFeedUrl }),
  });
}
